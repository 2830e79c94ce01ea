package io.funnel.features;

import io.funnel.features.internal.ChronicleMaps;
import java.io.File;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import net.openhft.chronicle.map.ChronicleMap;
import net.openhft.chronicle.map.ChronicleMapBuilder;
import org.agrona.collections.MutableInteger;
import org.agrona.collections.MutableLong;

/**
 * The persisted, off-heap {@link FeatureStore}. One directory holds:
 *
 * <ul>
 *   <li>{@code schema.yaml}: the {@link FeatureSchema} the files were written under (checked at open);
 *   <li>{@code items.dense}: item rows addressed by ordinal in a memory-mapped file ({@link ItemBackend#DENSE}, the
 *       hot read path; format in the module README), or {@code items.cm}: a Chronicle Map from ordinal to
 *       row ({@link ItemBackend#CHRONICLE}, kept to measure the per-key path);
 *   <li>{@code item-ids.cm}: Chronicle Map external item id → ordinal;
 *   <li>{@code users.cm}: Chronicle Map external user id → user row ({@link RowLayout} user layout);
 *   <li>{@code puts.journal}: the last in-place map put, re-applied after a crash ({@link PutJournal});
 *   <li>{@code open.marker}: present while a process has the store open; found at open, it means the last process
 *       died, and the Chronicle maps are opened with {@code recoverPersistedTo}.
 * </ul>
 *
 * <p>Build with {@link #builder()}: {@code ChronicleFeatureStore.builder().directory(dir).schema(schema)
 * .expectedItems(1_000_000).expectedUsers(1_000_000).open()}.
 *
 * <p>Threading: any number of reader threads; all mutation through {@link #writer()}, one thread at a time. Readers
 * never see a half-written item row (seqlock per row) or user row (Chronicle's segment lock). One process at a time
 * may open a directory.
 */
public final class ChronicleFeatureStore implements FeatureStore {
    /** Where item rows live. */
    public enum ItemBackend {
        /** Memory-mapped row table addressed by ordinal: one multiply per row, no hashing, no locks. */
        DENSE,
        /** A Chronicle Map from ordinal to row: one hash lookup and segment read lock per row. */
        CHRONICLE
    }

    static final String SCHEMA_FILE = "schema.yaml";
    static final String DENSE_FILE = "items.dense";
    static final String ITEMS_CM_FILE = "items.cm";
    static final String IDS_FILE = "item-ids.cm";
    static final String USERS_FILE = "users.cm";
    static final String MARKER_FILE = "open.marker";

    private final Path directory;
    private final FeatureSchema schema;
    private final RowLayout itemLayout;
    private final RowLayout userLayout;
    private final ItemBackend backend;
    private final boolean recovered;
    final ChronicleMap<MutableLong, MutableInteger> itemIds;
    final ChronicleMap<MutableLong, byte[]> users;
    final DenseItemTable dense;
    final ChronicleMap<MutableInteger, byte[]> itemRows;
    volatile int chronicleItemCount;
    final PutJournal journal;
    final ItemRowFlyweight itemCodec;
    final UserRowFlyweight userCodec;
    private final ThreadLocal<ReadScratch> scratch;
    private final ChronicleFeatureWriter writer;
    private final long openNanos;
    private volatile boolean closed;

    /** Per-reader-thread keys and buffers, so reads allocate nothing after the first. */
    static final class ReadScratch {
        final MutableLong longKey = new MutableLong();
        final MutableInteger intKey = new MutableInteger();
        final MutableInteger intValue = new MutableInteger();
        final byte[] userBytes;
        final MemorySegment userSegment;
        final byte[] itemBytes;
        final MemorySegment itemSegment;

        ReadScratch(final int userRowBytes, final int itemRowBytes) {
            userBytes = new byte[userRowBytes];
            userSegment = MemorySegment.ofArray(userBytes);
            itemBytes = new byte[itemRowBytes];
            itemSegment = MemorySegment.ofArray(itemBytes);
        }
    }

    private ChronicleFeatureStore(final Builder b, final FeatureSchema schema, final boolean unclean)
            throws IOException {
        final long start = System.nanoTime();
        this.directory = b.directory;
        this.schema = schema;
        this.itemLayout = schema.itemLayout();
        this.userLayout = schema.userLayout();
        this.backend = b.itemBackend;
        this.recovered = unclean;
        this.itemCodec = new ItemRowFlyweight(itemLayout);
        this.userCodec = new UserRowFlyweight(userLayout);
        final int userBytes = userLayout.rowBytes();
        final int itemBytes = itemLayout.rowBytes();
        this.scratch = ThreadLocal.withInitial(() -> new ReadScratch(userBytes, itemBytes));
        this.itemIds = openMap(ChronicleMaps.itemIds(b.expectedItems), IDS_FILE, unclean);
        this.users = openMap(ChronicleMaps.users(b.expectedUsers, userBytes), USERS_FILE, unclean);
        if (backend == ItemBackend.DENSE) {
            this.dense = new DenseItemTable(directory.resolve(DENSE_FILE), itemLayout, schema.fingerprint(),
                    b.expectedItems, b.lockInMemory);
            this.itemRows = null;
        } else {
            this.dense = null;
            this.itemRows = openMap(ChronicleMaps.itemRows(b.expectedItems, itemBytes), ITEMS_CM_FILE, unclean);
            this.chronicleItemCount = itemRows.size();
        }
        this.journal = new PutJournal(directory, Math.max(userBytes, itemBytes));
        if (unclean) {
            redoLastPut();
        }
        this.writer = new ChronicleFeatureWriter(this, b.ctrHalfLifeMs, b.trendingHalfLifeMs);
        writer.reconcileIds();
        this.openNanos = System.nanoTime() - start;
    }

    /** After a crash: re-applies the journalled put that may have been cut short (see {@link PutJournal}). */
    private void redoLastPut() {
        final PutJournal.Put put = journal.last();
        if (put == null) {
            return;
        }
        if (put.map() == PutJournal.USERS && put.value().length == userLayout.rowBytes()) {
            users.put(new MutableLong(put.key()), put.value());
        } else if (put.map() == PutJournal.ITEM_ROWS && itemRows != null
                && put.value().length == itemLayout.rowBytes()) {
            itemRows.put(new MutableInteger((int) put.key()), put.value());
        }
    }

    private <K, V> ChronicleMap<K, V> openMap(final ChronicleMapBuilder<K, V> builder, final String name,
            final boolean unclean) throws IOException {
        final File file = directory.resolve(name).toFile();
        builder.putReturnsNull(true).removeReturnsNull(true).maxBloatFactor(4.0);
        return unclean && file.exists() ? builder.recoverPersistedTo(file, true) : builder.createPersistedTo(file);
    }

    /** Starts a builder. */
    public static Builder builder() {
        return new Builder();
    }

    /** The schema the store was opened with. */
    public FeatureSchema schema() {
        return schema;
    }

    /** The store's directory. */
    public Path directory() {
        return directory;
    }

    /** Where item rows live. */
    public ItemBackend itemBackend() {
        return backend;
    }

    /** Whether the last process to open the store died without closing it (and recovery ran at this open). */
    public boolean recoveredFromCrash() {
        return recovered;
    }

    /** Wall time the last open took, nanoseconds. */
    public long openNanos() {
        return openNanos;
    }

    /** Total bytes of the store's files (apparent sizes). */
    public long fileBytes() {
        long total = 0;
        for (final String f : List.of(SCHEMA_FILE, DENSE_FILE, ITEMS_CM_FILE, IDS_FILE, USERS_FILE)) {
            try {
                final Path p = directory.resolve(f);
                if (Files.exists(p)) {
                    total += Files.size(p);
                }
            } catch (final IOException e) {
                throw new FeatureStoreException("cannot stat " + f + " in " + directory + ": " + e.getMessage(), e);
            }
        }
        return total;
    }

    @Override
    public int dimension() {
        return schema.dimension();
    }

    @Override
    public int itemCount() {
        return backend == ItemBackend.DENSE ? dense.count() : chronicleItemCount;
    }

    @Override
    public int ordinalOf(final long itemId) {
        final ReadScratch s = scratch.get();
        s.longKey.set(itemId);
        final MutableInteger v = itemIds.getUsing(s.longKey, s.intValue);
        return v == null ? -1 : v.get();
    }

    @Override
    public long itemIdAt(final int ordinal) {
        if (ordinal < 0 || ordinal >= itemCount()) {
            throw new IndexOutOfBoundsException("item ordinal " + ordinal + " is outside 0.." + (itemCount() - 1));
        }
        if (backend == ItemBackend.DENSE) {
            return dense.itemIdAt(ordinal);
        }
        final ReadScratch s = scratch.get();
        s.intKey.set(ordinal);
        itemRows.getUsing(s.intKey, s.itemBytes);
        return itemCodec.wrap(s.itemSegment, 0).itemId();
    }

    @Override
    public boolean readUser(final long userId, final UserRow out) {
        final ReadScratch s = scratch.get();
        s.longKey.set(userId);
        final byte[] row = users.getUsing(s.longKey, s.userBytes);
        if (row == null) {
            out.clear();
            return false;
        }
        // getUsing reuses the array when the size matches (always: constant-size values).
        userCodec.copyTo(row == s.userBytes ? s.userSegment : MemorySegment.ofArray(row), 0, out);
        return true;
    }

    /**
     * {@inheritDoc}
     *
     * <p>Dense backend: touches every row first so the cache misses overlap, copies, then re-reads any row the writer
     * changed meanwhile. Chronicle backend: one {@code getUsing} per ordinal. Both allocate nothing in steady state.
     * Columns made with {@link ItemColumns#forSchema} also receive the extra features; columns made with
     * {@code new ItemColumns(dimension, n)} (as for {@link InMemoryFeatureStore}) get the built-ins only. Throws {@link IndexOutOfBoundsException} for an
     * ordinal outside {@code 0..itemCount()-1}.
     */
    @Override
    public void readItems(final int[] ordinals, final int count, final ItemColumns out) {
        out.reset(count);
        final boolean noExtras = (out.extraFloatWidth() | out.extraLongWidth()) == 0;
        if (out.dimension() != schema.dimension() || !noExtras && (out.extraFloatWidth() != itemLayout
                .extraFloatWidth() || out.extraLongWidth() != itemLayout.extraLongWidth())) {
            throw new IllegalArgumentException("ItemColumns has dimension/extras " + out.dimension() + "/"
                    + out.extraFloatWidth() + "/" + out.extraLongWidth() + ", the schema needs " + schema.dimension()
                    + "/" + itemLayout.extraFloatWidth() + "/" + itemLayout.extraLongWidth()
                    + ": create it with ItemColumns.forSchema(store.schema(), n), or without extras");
        }
        if (backend == ItemBackend.DENSE) {
            dense.readBatch(ordinals, count, out, itemCodec);
            return;
        }
        final ReadScratch s = scratch.get();
        final int n = chronicleItemCount;
        for (int i = 0; i < count; i++) {
            final int o = ordinals[i];
            if (o < 0 || o >= n) {
                throw new IndexOutOfBoundsException("item ordinal " + o + " at position " + i + " is outside 0.."
                        + (n - 1));
            }
            s.intKey.set(o);
            itemRows.getUsing(s.intKey, s.itemBytes);
            itemCodec.copyRow(s.itemSegment, 0, out, i);
        }
    }

    @Override
    public ChronicleFeatureWriter writer() {
        return writer;
    }

    /** Flushes and closes the files; the store is then clean for the next open. Idempotent. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (dense != null) {
            dense.close();
        }
        if (itemRows != null) {
            itemRows.close();
        }
        itemIds.close();
        users.close();
        journal.close();
        try {
            Files.deleteIfExists(directory.resolve(MARKER_FILE));
        } catch (final IOException e) {
            throw new FeatureStoreException("cannot remove " + directory.resolve(MARKER_FILE) + ": " + e.getMessage(),
                    e);
        }
    }

    // ----------------------------------------------------------------------------------------------------------------

    /**
     * Configures and opens a {@link ChronicleFeatureStore}. Settings are validated at {@link #open()} with a message
     * naming the bad one. Not thread-safe.
     */
    public static final class Builder {
        private Path directory;
        private FeatureSchema schema;
        private Path schemaFile;
        private long expectedItems = 1_000_000;
        private long expectedUsers = 1_000_000;
        private ItemBackend itemBackend = ItemBackend.DENSE;
        private boolean migrate;
        private boolean lockInMemory;
        private long ctrHalfLifeMs = 24L * 3600 * 1000;
        private long trendingHalfLifeMs = 3600L * 1000;

        private Builder() {}

        /** Directory of the store's files (created if absent). Required. */
        public Builder directory(final Path dir) {
            this.directory = dir;
            return this;
        }

        /** The schema to open under. One of schema, schemaFile, or an existing store's schema.yaml is required. */
        public Builder schema(final FeatureSchema s) {
            this.schema = s;
            return this;
        }

        /** Reads the schema from a YAML file (e.g. {@code config/features.yaml}). */
        public Builder schemaFile(final Path file) {
            this.schemaFile = file;
            return this;
        }

        /** Expected item count; sizes the Chronicle maps and the initial dense table (which grows). Default 1M. */
        public Builder expectedItems(final long n) {
            this.expectedItems = n;
            return this;
        }

        /** Expected user count; sizes the user map. Default 1M. */
        public Builder expectedUsers(final long n) {
            this.expectedUsers = n;
            return this;
        }

        /** Where item rows live; default {@link ItemBackend#DENSE}. */
        public Builder itemBackend(final ItemBackend b) {
            this.itemBackend = b;
            return this;
        }

        /**
         * Whether a store written under another schema that only differs by added or removed features is rewritten
         * into the new layout at open (default false: fail with {@link SchemaMismatchException}).
         */
        public Builder migrate(final boolean m) {
            this.migrate = m;
            return this;
        }

        /**
         * Whether to {@code mlock} the dense item table (default false). It is always advised WILLNEED and
         * HUGEPAGE; a refused lock is a warning.
         */
        public Builder lockInMemory(final boolean lock) {
            this.lockInMemory = lock;
            return this;
        }

        /** Half-life of the decayed impression and click counters behind CTR, ms; default 24 h. */
        public Builder ctrHalfLifeMs(final long ms) {
            this.ctrHalfLifeMs = ms;
            return this;
        }

        /** Half-life of the trending (short-window) interaction weight, ms; default 1 h. */
        public Builder trendingHalfLifeMs(final long ms) {
            this.trendingHalfLifeMs = ms;
            return this;
        }

        /** Validates the settings, checks or migrates the schema, recovers after a crash, and opens the store. */
        public ChronicleFeatureStore open() {
            if (directory == null) {
                throw new IllegalArgumentException("directory is required");
            }
            if (expectedItems < 1 || expectedItems > Integer.MAX_VALUE) {
                throw new IllegalArgumentException("expectedItems must be 1.." + Integer.MAX_VALUE + ", got "
                        + expectedItems);
            }
            if (expectedUsers < 1) {
                throw new IllegalArgumentException("expectedUsers must be positive, got " + expectedUsers);
            }
            if (itemBackend == null) {
                throw new IllegalArgumentException("itemBackend must not be null");
            }
            if (ctrHalfLifeMs <= 0 || trendingHalfLifeMs <= 0) {
                throw new IllegalArgumentException("ctrHalfLifeMs and trendingHalfLifeMs must be positive, got "
                        + ctrHalfLifeMs + " and " + trendingHalfLifeMs);
            }
            if (schema != null && schemaFile != null) {
                throw new IllegalArgumentException("set schema or schemaFile, not both");
            }
            try {
                Files.createDirectories(directory);
                final Path stored = directory.resolve(SCHEMA_FILE);
                final FeatureSchema storedSchema = Files.exists(stored)
                        ? FeatureSchema.parse(stored)
                        : null;
                FeatureSchema wanted = schema != null ? schema : schemaFile != null ? FeatureSchema.parse(schemaFile)
                        : storedSchema;
                if (wanted == null) {
                    throw new IllegalArgumentException("schema is required: " + directory + " holds no " + SCHEMA_FILE
                            + "; set schema(..) or schemaFile(..)");
                }
                final Path marker = directory.resolve(MARKER_FILE);
                final boolean unclean = Files.exists(marker);
                if (storedSchema != null) {
                    final List<String> diff = wanted.differencesFrom(storedSchema);
                    if (!diff.isEmpty()) {
                        final boolean migratable = wanted.canMigrateFrom(storedSchema);
                        if (!migrate || !migratable) {
                            throw new SchemaMismatchException(directory.toString(), diff, migratable);
                        }
                        SchemaMigration.migrate(this, storedSchema, wanted, unclean);
                    }
                }
                Files.writeString(stored, wanted.toYaml(), StandardCharsets.UTF_8);
                if (!unclean) {
                    Files.writeString(marker, Long.toString(ProcessHandle.current().pid()), StandardCharsets.UTF_8);
                }
                return new ChronicleFeatureStore(this, wanted, unclean);
            } catch (final IOException e) {
                throw new FeatureStoreException("cannot open feature store " + directory + ": " + e.getMessage(), e);
            }
        }

        Path directory() {
            return directory;
        }

        long expectedItems() {
            return expectedItems;
        }

        long expectedUsers() {
            return expectedUsers;
        }

        ItemBackend backend() {
            return itemBackend;
        }
    }

    static void replace(final Path from, final Path to) throws IOException {
        Files.move(from, to, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }
}
