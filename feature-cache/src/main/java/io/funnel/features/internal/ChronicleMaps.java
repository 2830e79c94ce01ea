package io.funnel.features.internal;

import net.openhft.chronicle.map.ChronicleMap;
import net.openhft.chronicle.map.ChronicleMapBuilder;
import org.agrona.collections.MutableInteger;
import org.agrona.collections.MutableLong;

/** Builders for the store's Chronicle maps, so the store and its migration configure them the same way. */
public final class ChronicleMaps {
    private ChronicleMaps() {}

    /** External item id → ordinal. */
    public static ChronicleMapBuilder<MutableLong, MutableInteger> itemIds(final long entries) {
        return ChronicleMap.of(MutableLong.class, MutableInteger.class).name("funnel-item-ids")
                .keyMarshallers(LongKeyMarshaller.INSTANCE, LongKeyMarshaller.INSTANCE)
                .constantKeySizeBySample(new MutableLong())
                .valueMarshallers(IntMarshaller.INSTANCE, IntMarshaller.INSTANCE)
                .constantValueSizeBySample(new MutableInteger())
                .entries(entries);
    }

    /** External user id → user row bytes. */
    public static ChronicleMapBuilder<MutableLong, byte[]> users(final long entries, final int rowBytes) {
        return ChronicleMap.of(MutableLong.class, byte[].class).name("funnel-users")
                .keyMarshallers(LongKeyMarshaller.INSTANCE, LongKeyMarshaller.INSTANCE)
                .constantKeySizeBySample(new MutableLong())
                .constantValueSizeBySample(new byte[rowBytes])
                .entries(entries);
    }

    /** Item ordinal → item row bytes (the per-key item backend). */
    public static ChronicleMapBuilder<MutableInteger, byte[]> itemRows(final long entries, final int rowBytes) {
        return ChronicleMap.of(MutableInteger.class, byte[].class).name("funnel-items")
                .keyMarshallers(IntMarshaller.INSTANCE, IntMarshaller.INSTANCE)
                .constantKeySizeBySample(new MutableInteger())
                .constantValueSizeBySample(new byte[rowBytes])
                .entries(entries);
    }
}
