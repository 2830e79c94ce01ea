package io.funnel.features.internal;

import net.openhft.chronicle.bytes.Bytes;
import net.openhft.chronicle.hash.serialization.SizedReader;
import net.openhft.chronicle.hash.serialization.SizedWriter;
import net.openhft.chronicle.hash.serialization.impl.EnumMarshallable;
import org.agrona.collections.MutableInteger;

/**
 * Chronicle Map marshaller for 4-byte keys or values held in a reusable {@link MutableInteger} (item ordinals):
 * garbage-free {@code getUsing}, no run-time code generation. Stateless singleton, recorded in the file header.
 */
public final class IntMarshaller
        implements SizedReader<MutableInteger>, SizedWriter<MutableInteger>, EnumMarshallable<IntMarshaller> {
    /** The only instance (Chronicle Map wants enum-like singletons as classes, not Java enums). */
    public static final IntMarshaller INSTANCE = new IntMarshaller();

    private IntMarshaller() {}

    @Override
    public MutableInteger read(final Bytes<?> in, final long size, final MutableInteger using) {
        final MutableInteger out = using != null ? using : new MutableInteger();
        out.set(in.readInt());
        return out;
    }

    @Override
    public long size(final MutableInteger value) {
        return Integer.BYTES;
    }

    @Override
    public void write(final Bytes<?> out, final long size, final MutableInteger value) {
        out.writeInt(value.get());
    }

    @Override
    public IntMarshaller readResolve() {
        return INSTANCE;
    }
}
