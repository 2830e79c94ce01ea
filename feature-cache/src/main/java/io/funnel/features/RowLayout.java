package io.funnel.features;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED;

import io.funnel.features.FeatureSchema.Entity;
import io.funnel.features.FeatureSchema.Feature;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * The fixed binary layout of one entity's row under a {@link FeatureSchema}: a header the store owns (sequence word,
 * id, counters) followed by every declared feature at a fixed offset, 8-byte fields first, little-endian (native).
 * Row size is a multiple of 8 bytes; item rows are padded to a multiple of 64 (whole cache lines) when that adds at
 * most 1/8 to the row.
 *
 * <p>Item header: {@code seq:int@0, flags:int@4, item_id:long@8, last_event_ms:long@16, interactions:float@24,
 * impressions:float@28 (decayed), clicks:float@32 (decayed), trending:float@36 (decayed)}.
 *
 * <p>User header: {@code seq:int@0, recent_head:int@4, recent_count:int@8, flags:int@12 (bit 0: has embedding),
 * last_event_ms:long@16, weight:float@24, impressions:float@28 (decayed), clicks:float@32 (decayed)}. The user's
 * {@code recent_items} ring stores {@code length} timestamps (long) followed by {@code length} item ordinals (int).
 *
 * <p>An {@code id_list} is {@code count:int, pad:int, ids:long[length]}.
 *
 * <p>Immutable and thread-safe.
 */
public final class RowLayout {
    /** Offset of the sequence word (odd while the writer is inside the row). */
    public static final int SEQ = 0;
    /** Item header: flags word (reserved). */
    public static final int ITEM_FLAGS = 4;
    /** Item header: external item id. */
    public static final int ITEM_ID = 8;
    /** Item and user header: time of the last counter update, epoch ms. */
    public static final int LAST_EVENT_MS = 16;
    /** Item header: total interaction weight (not decayed). */
    public static final int INTERACTIONS = 24;
    /** Item and user header: decayed impression count. */
    public static final int IMPRESSIONS = 28;
    /** Item and user header: decayed click (interaction) count. */
    public static final int CLICKS = 32;
    /** Item header: decayed short-window interaction weight (the trending signal). */
    public static final int TRENDING = 36;
    /** User header: index of the most recent ring slot. */
    public static final int RECENT_HEAD = 4;
    /** User header: number of ring entries held. */
    public static final int RECENT_COUNT = 8;
    /** User header: flags (bit 0 = has embedding). */
    public static final int USER_FLAGS = 12;
    /** User header: total interaction weight. */
    public static final int WEIGHT = 24;
    /** Size of either header. */
    public static final int HEADER_BYTES = 40;

    private final Entity entity;
    private final List<Feature> features;
    private final int[] offsets;
    private final int rowBytes;
    // Extras: features that are not built-ins, with their place in the float or long family of extra columns.
    private final int[] extraOffsets;
    private final FeatureType[] extraTypes;
    private final int[] extraWidths;
    private final int[] extraColumns;
    private final int extraFloatWidth;
    private final int extraLongWidth;
    // The same extras split by kind, so the hot copy runs straight loops instead of a switch per field.
    private final int[] floatSrc;
    private final int[] floatCol;
    private final int[] intSrc;
    private final int[] intCol;
    private final int[] longSrc;
    private final int[] longCol;
    private final int[] wideExtras; // indexes of float_vector and id_list extras

    RowLayout(final Entity entity, final List<Feature> all) {
        this.entity = entity;
        final List<Feature> mine = new ArrayList<>();
        for (final Feature f : all) {
            if (f.entity() == entity) {
                mine.add(f);
            }
        }
        // Largest alignment first to avoid padding; stable, so declaration order decides within a group.
        final List<Feature> placed = new ArrayList<>(mine);
        placed.sort(Comparator.comparingInt((Feature f) -> -f.type().alignment()));
        this.features = List.copyOf(mine);
        this.offsets = new int[mine.size()];
        int off = HEADER_BYTES;
        for (final Feature f : placed) {
            off = align(off, f.type().alignment());
            offsets[mine.indexOf(f)] = off;
            off += f.sizeBytes();
        }
        // Item rows are read at random: a row padded to whole cache lines spans rows/64 lines instead of one more
        // on average, so pad when that wastes at most 1/8 of the row (368 -> 384 bytes: 6 lines instead of 6.75).
        final int packed = align(off, 8);
        final int lines = align(off, 64);
        this.rowBytes = entity == Entity.ITEM && (lines - packed) * 8 <= packed ? lines : packed;

        final List<Integer> extras = new ArrayList<>();
        for (int i = 0; i < mine.size(); i++) {
            if (!isBuiltIn(entity, mine.get(i).name())) {
                extras.add(i);
            }
        }
        extraOffsets = new int[extras.size()];
        extraTypes = new FeatureType[extras.size()];
        extraWidths = new int[extras.size()];
        extraColumns = new int[extras.size()];
        int floats = 0;
        int longs = 0;
        for (int e = 0; e < extras.size(); e++) {
            final Feature f = mine.get(extras.get(e));
            extraOffsets[e] = offsets[extras.get(e)];
            extraTypes[e] = f.type();
            extraWidths[e] = f.width();
            if (f.type().isFloatFamily()) {
                extraColumns[e] = floats;
                floats += f.width();
            } else {
                extraColumns[e] = longs;
                longs += f.width();
            }
        }
        extraFloatWidth = floats;
        extraLongWidth = longs;
        floatSrc = kindOffsets(FeatureType.FLOAT, null, true);
        floatCol = kindOffsets(FeatureType.FLOAT, null, false);
        intSrc = kindOffsets(FeatureType.INT, FeatureType.CATEGORY, true);
        intCol = kindOffsets(FeatureType.INT, FeatureType.CATEGORY, false);
        longSrc = kindOffsets(FeatureType.LONG, FeatureType.TIMESTAMP, true);
        longCol = kindOffsets(FeatureType.LONG, FeatureType.TIMESTAMP, false);
        int wide = 0;
        for (final FeatureType t : extraTypes) {
            wide += t.hasWidth() ? 1 : 0;
        }
        wideExtras = new int[wide];
        for (int e = 0, w = 0; e < extraTypes.length; e++) {
            if (extraTypes[e].hasWidth()) {
                wideExtras[w++] = e;
            }
        }
    }

    private int[] kindOffsets(final FeatureType a, final FeatureType b, final boolean source) {
        int n = 0;
        for (final FeatureType t : extraTypes) {
            n += t == a || t == b ? 1 : 0;
        }
        final int[] out = new int[n];
        for (int e = 0, k = 0; e < extraTypes.length; e++) {
            if (extraTypes[e] == a || extraTypes[e] == b) {
                out[k++] = source ? extraOffsets[e] : extraColumns[e];
            }
        }
        return out;
    }

    static boolean isBuiltIn(final Entity entity, final String name) {
        return entity == Entity.ITEM
                ? name.equals(FeatureSchema.EMBEDDING) || name.equals(FeatureSchema.CATEGORY)
                        || name.equals(FeatureSchema.IN_STOCK) || name.equals(FeatureSchema.CREATED_AT_MS)
                : name.equals(FeatureSchema.EMBEDDING) || name.equals(FeatureSchema.RECENT_ITEMS);
    }

    private static int align(final int v, final int a) {
        return (v + a - 1) & -a;
    }

    /** The entity this layout is for. */
    public Entity entity() {
        return entity;
    }

    /** Row size in bytes (a multiple of 8). */
    public int rowBytes() {
        return rowBytes;
    }

    /** This entity's features in declaration order. */
    public List<Feature> features() {
        return features;
    }

    /** Byte offset of a feature in the row, or {@code -1} if the entity has no such feature. */
    public int offset(final String name) {
        final int i = indexOf(name);
        return i < 0 ? -1 : offsets[i];
    }

    /** Width (dim, length, or 1) of a feature, or {@code -1} if absent. */
    public int width(final String name) {
        final int i = indexOf(name);
        return i < 0 ? -1 : features.get(i).width();
    }

    /** The declared feature, or {@code null}. */
    public Feature feature(final String name) {
        final int i = indexOf(name);
        return i < 0 ? null : features.get(i);
    }

    private int indexOf(final String name) {
        for (int i = 0; i < features.size(); i++) {
            if (features.get(i).name().equals(name)) {
                return i;
            }
        }
        return -1;
    }

    /**
     * Where an extra (non built-in) feature lands in the extra columns: the index of its first component in
     * {@link ItemColumns#extraFloats()} rows (float and float_vector) or {@link ItemColumns#extraLongs()} rows (all
     * other types; an id_list of length n takes n slots, unused ones read {@code -1}); {@code -1} if the feature is
     * absent or built in.
     */
    public int extraColumn(final String name) {
        final int i = indexOf(name);
        if (i < 0 || isBuiltIn(entity, name)) {
            return -1;
        }
        for (int e = 0; e < extraOffsets.length; e++) {
            if (extraOffsets[e] == offsets[i]) {
                return extraColumns[e];
            }
        }
        return -1;
    }

    /** Components per row in the float family of extra columns. */
    public int extraFloatWidth() {
        return extraFloatWidth;
    }

    /** Components per row in the long family of extra columns. */
    public int extraLongWidth() {
        return extraLongWidth;
    }

    int extraCount() {
        return extraOffsets.length;
    }

    /**
     * Copies the extra features of the row at {@code rowOffset} into row {@code i} of the extra columns. Allocation
     * free.
     */
    void readExtras(final MemorySegment seg, final long rowOffset, final float[] floats, final long[] longs,
            final int i) {
        final int fBase = i * extraFloatWidth;
        final int lBase = i * extraLongWidth;
        final int[] fs = floatSrc;
        final int[] fc = floatCol;
        for (int k = 0; k < fs.length; k++) {
            floats[fBase + fc[k]] = seg.get(JAVA_FLOAT_UNALIGNED, rowOffset + fs[k]);
        }
        final int[] is = intSrc;
        final int[] ic = intCol;
        for (int k = 0; k < is.length; k++) {
            longs[lBase + ic[k]] = seg.get(JAVA_INT_UNALIGNED, rowOffset + is[k]);
        }
        final int[] ls = longSrc;
        final int[] lc = longCol;
        for (int k = 0; k < ls.length; k++) {
            longs[lBase + lc[k]] = seg.get(JAVA_LONG_UNALIGNED, rowOffset + ls[k]);
        }
        for (final int e : wideExtras) {
            final long at = rowOffset + extraOffsets[e];
            final int col = extraColumns[e];
            if (extraTypes[e] == FeatureType.FLOAT_VECTOR) {
                MemorySegment.copy(seg, JAVA_FLOAT_UNALIGNED, at, floats, fBase + col, extraWidths[e]);
            } else {
                final int n = Math.min(extraWidths[e], Math.max(0, seg.get(JAVA_INT_UNALIGNED, at)));
                MemorySegment.copy(seg, JAVA_LONG_UNALIGNED, at + 8, longs, lBase + col, n);
                for (int k = n; k < extraWidths[e]; k++) {
                    longs[lBase + col + k] = -1L;
                }
            }
        }
    }

    /** Writes every feature's default into the row at {@code rowOffset} and zeroes the header. */
    void writeDefaults(final MemorySegment seg, final long rowOffset) {
        seg.asSlice(rowOffset + 4, rowBytes - 4).fill((byte) 0);
        for (int i = 0; i < features.size(); i++) {
            writeDefault(seg, rowOffset + offsets[i], features.get(i));
        }
    }

    private void writeDefault(final MemorySegment seg, final long at, final Feature f) {
        final double d = f.defaultValue();
        switch (f.type()) {
            case FLOAT -> seg.set(JAVA_FLOAT_UNALIGNED, at, (float) d);
            case FLOAT_VECTOR -> {
                for (int k = 0; k < f.width(); k++) {
                    seg.set(JAVA_FLOAT_UNALIGNED, at + 4L * k, (float) d);
                }
            }
            case INT, CATEGORY -> seg.set(JAVA_INT_UNALIGNED, at, (int) d);
            case LONG, TIMESTAMP -> seg.set(JAVA_LONG_UNALIGNED, at, (long) d);
            case ID_LIST -> seg.set(JAVA_INT_UNALIGNED, at, 0);
        }
    }

    /**
     * Rewrites a row written under {@code from} into this layout: the header and every feature present in both with
     * the same type and width are copied, new features get their defaults. The caller checked
     * {@link FeatureSchema#canMigrateFrom}.
     */
    void migrateRow(final RowLayout from, final MemorySegment src, final long srcOff, final MemorySegment dst,
            final long dstOff) {
        writeDefaults(dst, dstOff);
        MemorySegment.copy(src, srcOff, dst, dstOff, HEADER_BYTES);
        for (int i = 0; i < features.size(); i++) {
            final Feature f = features.get(i);
            final Feature old = from.feature(f.name());
            if (old != null && old.type() == f.type() && old.width() == f.width()) {
                MemorySegment.copy(src, srcOff + from.offset(f.name()), dst, dstOff + offsets[i], f.sizeBytes());
            }
        }
    }
}
