package io.funnel.engine.offline;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.funnel.ann.HnswVectorIndex;
import io.funnel.ann.VectorIndex;
import io.funnel.engine.FunnelException;
import io.funnel.engine.config.FunnelConfig;
import io.funnel.engine.data.Dataset;
import io.funnel.engine.retrieval.CoVisitation;
import io.funnel.model.train.BprTrainer;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Consumer;
import java.util.zip.CRC32;
import java.util.zip.CheckedInputStream;
import java.util.zip.CheckedOutputStream;
import org.agrona.collections.Long2LongHashMap;

/**
 * The retrieval half of a bundle ({@code bundles/<version>/state/}): the retrieval embeddings trained with TensorFlow
 * (matrix factorisation, {@link io.funnel.model.train.TfMfTrainer}), the HNSW index over their item vectors, and the item-CF co-visitation
 * table, all computed from the whole log the bundle was trained on. A server started with {@code model.bundles}
 * loads them instead of recomputing them, so what was evaluated offline is what serves.
 *
 * <p>Files: {@code embeddings.bin} (item vectors by ordinal, then user id and vector per user), {@code itemcf.bin}
 * (the co-visitation table), {@code index.hnsw} (when the ANN channel uses HNSW). The binary files start with a
 * magic number and a format version and end with a CRC-32 of everything before it. The bundle's manifest holds a
 * {@code state} object with the counts and the catalog fingerprint (a hash of the item ids in ordinal order), which
 * must match the catalog being served.
 *
 * <p>Threading: immutable once read; build and read on one thread.
 */
public final class BundleState {
    /** Folder inside a bundle version. */
    public static final String DIR = "state";
    static final String EMBEDDINGS = "embeddings.bin";
    static final String ITEMCF = "itemcf.bin";
    static final String INDEX = "index.hnsw";
    private static final int EMBEDDINGS_MAGIC = 0x464e4c45; // "FNLE"
    private static final int ITEMCF_MAGIC = 0x464e4c43; // "FNLC"
    private static final int FORMAT = 1;

    private final int dimension;
    private final float[][] items;
    private final Long2LongHashMap userRow;
    private final float[][] users;
    private final CoVisitation coVisitation;
    private final VectorIndex index;

    private BundleState(final int dimension, final float[][] items, final Long2LongHashMap userRow,
            final float[][] users, final CoVisitation coVisitation, final VectorIndex index) {
        this.dimension = dimension;
        this.items = items;
        this.userRow = userRow;
        this.users = users;
        this.coVisitation = coVisitation;
        this.index = index;
    }

    /** Embedding dimension. */
    public int dimension() {
        return dimension;
    }

    /** The item vector of {@code ordinal}. */
    public float[] item(final int ordinal) {
        return items[ordinal];
    }

    /** The user's vector, or {@code null} for a user the bundle has not seen. */
    public float[] user(final long userId) {
        final long row = userRow.get(userId);
        return row < 0 ? null : users[(int) row];
    }

    /** Users with a vector. */
    public int userCount() {
        return users.length;
    }

    /** The co-visitation table. */
    public CoVisitation coVisitation() {
        return coVisitation;
    }

    /** The saved ANN index, or {@code null} when the bundle has none (the server then builds one). */
    public VectorIndex index() {
        return index;
    }

    /**
     * Trains the state from {@code data} and writes it into {@code versionDir/state}; returns the manifest's
     * {@code state} object.
     */
    public static ObjectNode train(final Dataset data, final FunnelConfig config, final Path versionDir,
            final ObjectNode manifestState, final Consumer<String> log) throws IOException {
        final long t0 = System.nanoTime();
        final int n = data.size();
        final UserIndex numbered = UserIndex.of(data);
        final int[] userOf = numbered.userOf();
        final int[] itemOf = numbered.itemOf();
        final int userCount = Math.max(1, numbered.count());
        final int itemCount = data.itemCount();
        final boolean tensorflow = "tensorflow".equals(config.model.embeddings);
        final BprTrainer.Embeddings emb = ServingStateBuilder.trainEmbeddings(config, userOf, itemOf, n, userCount,
                itemCount);
        log.accept(String.format("retrieval embeddings (%s): %d users x %d items x %d dims (%.1f s)",
                tensorflow ? "TensorFlow MF" : "Java BPR", numbered.count(), itemCount, emb.dimension(),
                (System.nanoTime() - t0) / 1e9));
        final Path dir = versionDir.resolve(DIR);
        Files.createDirectories(dir);
        final int knownUsers = numbered.count();
        final long[] ids = numbered.userIds();
        writeChecked(dir.resolve(EMBEDDINGS), EMBEDDINGS_MAGIC, out -> {
            out.writeInt(emb.dimension());
            out.writeInt(itemCount);
            out.writeInt(knownUsers);
            for (int i = 0; i < itemCount; i++) {
                writeVector(out, emb.item(i));
            }
            for (int u = 0; u < knownUsers; u++) {
                out.writeLong(ids[u]);
                writeVector(out, emb.user(u));
            }
        });
        final CoVisitation cv = ServingStateBuilder.coVisitation(data);
        writeChecked(dir.resolve(ITEMCF), ITEMCF_MAGIC, cv::writeTo);
        final float[][] vectors = new float[itemCount][];
        for (int i = 0; i < itemCount; i++) {
            vectors[i] = emb.item(i);
        }
        final boolean hnsw = !"flat".equals(config.channels.ann.index) && itemCount > 0;
        if (hnsw) {
            final VectorIndex index = new ServingStateBuilder(config, log).buildIndex(vectors, emb.dimension());
            ((HnswVectorIndex) index).save(dir.resolve(INDEX));
        }
        manifestState.put("embeddings", tensorflow ? "TensorFlow matrix factorisation (BPR loss)"
                : "Java BPR matrix factorisation");
        manifestState.put("dimension", emb.dimension());
        manifestState.put("items", itemCount);
        manifestState.put("users", numbered.count());
        manifestState.put("events", n);
        manifestState.put("catalog_fingerprint", fingerprint(data));
        manifestState.put("co_visitation_pairs", cv.pairCount());
        manifestState.put("index", hnsw ? INDEX : "none");
        return manifestState;
    }

    /**
     * Reads the state of a bundle version for serving {@code data}.
     *
     * @param state the manifest's {@code state} object
     * @throws FunnelException naming the file and the problem: a different catalog, a missing, truncated or
     *                         corrupt file
     */
    public static BundleState read(final Path versionDir, final JsonNode state, final Dataset data) {
        final Path dir = versionDir.resolve(DIR);
        final long expected = state.path("catalog_fingerprint").asLong(0);
        final long actual = fingerprint(data);
        if (state.path("items").asInt(-1) != data.itemCount() || expected != actual) {
            throw new FunnelException(versionDir.resolve("manifest.json") + ": the bundle's state was trained on"
                    + " another catalog (" + state.path("items").asInt(-1) + " items, fingerprint "
                    + Long.toHexString(expected) + "; serving " + data.itemCount() + " items, fingerprint "
                    + Long.toHexString(actual) + ")");
        }
        final Path embFile = dir.resolve(EMBEDDINGS);
        try {
            final int dim;
            final float[][] items;
            final float[][] users;
            final Long2LongHashMap rows = new Long2LongHashMap(-1);
            try (CheckedInputStream crc = new CheckedInputStream(new BufferedInputStream(Files.newInputStream(embFile),
                    1 << 16), new CRC32()); DataInputStream in = new DataInputStream(crc)) {
                header(in, EMBEDDINGS_MAGIC, embFile);
                dim = in.readInt();
                final int itemCount = in.readInt();
                final int userCount = in.readInt();
                if (dim < 1 || dim > 4096 || itemCount != data.itemCount() || userCount < 0) {
                    throw new FunnelException(embFile + ": bad header (dimension " + dim + ", " + itemCount
                            + " items, " + userCount + " users)");
                }
                items = new float[itemCount][];
                for (int i = 0; i < itemCount; i++) {
                    items[i] = readVector(in, dim);
                }
                users = new float[userCount][];
                for (int u = 0; u < userCount; u++) {
                    rows.put(in.readLong(), u);
                    users[u] = readVector(in, dim);
                }
                verify(crc, in, embFile);
            }
            final Path cvFile = dir.resolve(ITEMCF);
            final CoVisitation cv;
            try (CheckedInputStream crc = new CheckedInputStream(new BufferedInputStream(Files.newInputStream(cvFile),
                    1 << 16), new CRC32()); DataInputStream in = new DataInputStream(crc)) {
                header(in, ITEMCF_MAGIC, cvFile);
                try {
                    cv = CoVisitation.readFrom(in, data.itemCount(), cvFile.toString());
                } catch (final IllegalArgumentException e) {
                    throw new FunnelException(e.getMessage(), e);
                }
                verify(crc, in, cvFile);
            }
            final Path indexFile = dir.resolve(INDEX);
            VectorIndex index = null;
            if (Files.exists(indexFile)) {
                try {
                    index = HnswVectorIndex.load(indexFile);
                } catch (final IllegalStateException e) {
                    throw new FunnelException(indexFile + ": " + e.getMessage(), e);
                }
                if (index.dimension() != dim || index.size() != data.itemCount()) {
                    throw new FunnelException(indexFile + ": holds " + index.size() + " vectors of dimension "
                            + index.dimension() + ", the embeddings " + data.itemCount() + " of dimension " + dim);
                }
            }
            return new BundleState(dim, items, rows, users, cv, index);
        } catch (final EOFException e) {
            throw new FunnelException(dir + ": a state file is truncated", e);
        } catch (final IOException e) {
            throw new FunnelException(dir + ": cannot read the bundle state: " + e.getMessage(), e);
        }
    }

    /** A hash of the item ids in ordinal order: two catalogs with the same fingerprint share ordinals. */
    static long fingerprint(final Dataset data) {
        long h = 0xcbf29ce484222325L;
        for (int i = 0; i < data.itemCount(); i++) {
            h = (h ^ data.itemId(i)) * 0x100000001b3L;
        }
        return h;
    }

    /** Writes a body with its own stream. */
    @FunctionalInterface
    interface Body {
        void write(DataOutputStream out) throws IOException;
    }

    /** Magic, format version, the body, then the CRC-32 of all of it. */
    private static void writeChecked(final Path file, final int magic, final Body body) throws IOException {
        try (OutputStream raw = new BufferedOutputStream(Files.newOutputStream(file), 1 << 16)) {
            final CheckedOutputStream checked = new CheckedOutputStream(raw, new CRC32());
            final DataOutputStream out = new DataOutputStream(checked);
            out.writeInt(magic);
            out.writeInt(FORMAT);
            body.write(out);
            out.flush();
            new DataOutputStream(raw).writeLong(checked.getChecksum().getValue());
        }
    }

    private static void header(final DataInputStream in, final int magic, final Path file) throws IOException {
        if (in.readInt() != magic) {
            throw new FunnelException(file + ": not a Funnel bundle state file (bad magic number)");
        }
        final int format = in.readInt();
        if (format != FORMAT) {
            throw new FunnelException(file + ": format version " + format + ", this build reads " + FORMAT);
        }
    }

    private static void verify(final CheckedInputStream crc, final DataInputStream in, final Path file)
            throws IOException {
        final long computed = crc.getChecksum().getValue();
        final long stored = in.readLong();
        if (computed != stored || in.read() != -1) {
            throw new FunnelException(file + ": checksum mismatch or trailing bytes (the file is corrupt)");
        }
    }

    private static void writeVector(final DataOutputStream out, final float[] v) throws IOException {
        for (final float x : v) {
            out.writeFloat(x);
        }
    }

    private static float[] readVector(final DataInputStream in, final int dim) throws IOException {
        final float[] v = new float[dim];
        for (int k = 0; k < dim; k++) {
            v[k] = in.readFloat();
        }
        return v;
    }
}
