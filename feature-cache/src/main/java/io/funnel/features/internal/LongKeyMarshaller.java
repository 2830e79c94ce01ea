package io.funnel.features.internal;

import net.openhft.chronicle.bytes.Bytes;
import net.openhft.chronicle.hash.serialization.SizedReader;
import net.openhft.chronicle.hash.serialization.SizedWriter;
import net.openhft.chronicle.hash.serialization.impl.EnumMarshallable;
import org.agrona.collections.MutableLong;

/**
 * Chronicle Map marshaller for 8-byte keys held in a reusable {@link MutableLong}: lookups allocate nothing, and
 * unlike {@code LongValue} no class is generated (and compiled) at run time, which took ~1.4 s of every cold open.
 * Stateless; a singleton so Chronicle can record it in the file header and resolve it on reopen.
 */
public final class LongKeyMarshaller
        implements SizedReader<MutableLong>, SizedWriter<MutableLong>, EnumMarshallable<LongKeyMarshaller> {
    /** The only instance (Chronicle Map wants enum-like singletons as classes, not Java enums). */
    public static final LongKeyMarshaller INSTANCE = new LongKeyMarshaller();

    private LongKeyMarshaller() {}

    @Override
    public MutableLong read(final Bytes<?> in, final long size, final MutableLong using) {
        final MutableLong out = using != null ? using : new MutableLong();
        out.set(in.readLong());
        return out;
    }

    @Override
    public long size(final MutableLong value) {
        return Long.BYTES;
    }

    @Override
    public void write(final Bytes<?> out, final long size, final MutableLong value) {
        out.writeLong(value.get());
    }

    @Override
    public LongKeyMarshaller readResolve() {
        return INSTANCE;
    }
}
