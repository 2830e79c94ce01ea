package io.funnel.ann;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A hierarchical navigable small-world graph (HNSW) over vectors held off-heap in {@link MemorySegment}s, with
 * optional int8 traversal and exact re-scoring, tombstone deletes with compaction, filter-aware search and
 * memory-mapped persistence.
 *
 * <p>Build one with {@link #builder(int, Metric)}; open a saved one with {@link #load(Path)}. Level 0 keeps up to
 * {@code 2 * maxDegree} links per node, the upper levels {@code maxDegree}; neighbours are chosen with the HNSW
 * diversity heuristic (relaxed by {@code alpha} for L2, as in Vamana).
 *
 * <p>Filtered search: the index estimates the filter's selectivity from a fixed sample of 256 nodes, then scans the
 * accepted vectors exactly when that is cheap (few matches, or a small index), walks the graph as usual when at least
 * half the nodes pass (rejected nodes route but never enter the beam), and otherwise walks two hops at a time through
 * rejected nodes so that only accepted nodes are scored (in the spirit of ACORN). A walk that ends with fewer than k
 * results falls back to the exact scan. {@link Builder#exactScanSelectivity(double)} overrides the scan rule.
 *
 * <p>Threading: one writer thread calls {@link #add}, {@link #addAll}, {@link #remove}, {@link #compact} and
 * {@link #save}; {@link #addAll} and {@link #compact} fan the linking out to {@code buildThreads} threads internally.
 * With {@code buildThreads(1)} a build is reproducible: the same vectors, settings and seed give the same graph and a
 * byte-identical {@link #save} file, in any JVM, provided the distance kernels are too (the scalar kernels, or the
 * SIMD ones with {@code -Dfunnel.vectorOps.fixedOrder=true}). With more threads the nodes link in whatever order the
 * threads reach them, so the graph (not its recall) varies from build to build.
 * Any number of threads may {@link #search} at the same time, without locks; each keeps its scratch (visited set,
 * queues) in a thread-local that is reused across searches, so steady-state searches do not allocate. A search works
 * on the generation of the graph it started with and may or may not see concurrent inserts and removals.
 * {@link #close()} releases a file mapping: call it only when no search is running.
 */
public final class HnswVectorIndex implements VectorIndex {
    private static final VectorOps OPS = VectorOps.provider();
    /** Lock stripes for link updates during parallel builds; searches never take them. */
    private static final int LOCK_STRIPES = 1024;
    private static final int MAX_LEVEL = 15;
    private static final int SELECTIVITY_SAMPLE = 256;

    private final int dimension;
    private final Metric metric;
    private final int maxDegree;
    private final int buildBeam;
    private final float alpha;
    private final int buildThreads;
    private final Quantization quantization;
    private final double exactScanSelectivity;
    private final long seed;
    private final double levelMultiplier;
    private final Object[] locks = new Object[LOCK_STRIPES];
    private final Object entryLock = new Object();
    private final ThreadLocal<Scratch> scratch;
    private final boolean l2;
    /** Whether build scores are negated squared L2 (L2 and inner product) rather than cosine. */
    private final boolean buildL2;
    /** {@code alpha^2}: the relaxation applies to distances, the kernels return squared ones. */
    private final float alphaSquared;

    private volatile HnswGraph graph;
    private volatile int searchBeam;
    /**
     * Map from ordinal to node, -1 where absent. Written by the writer only; searches read it (for filters that
     * enumerate their ordinals) through the volatile reference, entries being single ints.
     */
    private volatile int[] ordinalToNode = new int[0];
    private Scratch writerScratch;
    /** The mapping of the file this index was loaded from, or {@code null}; closed by {@link #close()}. */
    private final java.lang.foreign.Arena fileArena;
    /** Writer-owned buffers for normalising and encoding an inserted vector. */
    private final float[] writerVector;
    private final byte[] writerCode;

    private HnswVectorIndex(final Builder b, final HnswGraph graph) {
        this.dimension = b.dimension;
        this.metric = b.metric;
        this.maxDegree = b.maxDegree;
        this.buildBeam = b.buildBeam;
        this.alpha = b.alpha;
        this.buildThreads = b.buildThreads;
        this.quantization = b.quantization;
        this.exactScanSelectivity = b.exactScanSelectivity;
        this.seed = b.seed;
        this.searchBeam = b.searchBeam;
        this.levelMultiplier = 1.0 / Math.log(b.maxDegree);
        this.l2 = b.metric == Metric.L2;
        this.buildL2 = b.metric != Metric.COSINE;
        this.alphaSquared = b.alpha * b.alpha;
        for (int i = 0; i < LOCK_STRIPES; i++) {
            locks[i] = new Object();
        }
        this.scratch = ThreadLocal.withInitial(() -> new Scratch(dimension, maxDegree));
        this.writerVector = new float[dimension];
        this.writerCode = new byte[dimension];
        this.graph = graph != null
                ? graph
                : new HnswGraph(dimension, maxDegree, b.initialCapacity, quantization == Quantization.INT8, null);
        this.fileArena = graph != null ? graph.fileArena : null;
        if (graph != null) {
            rebuildOrdinalMap(graph);
        }
    }

    /** Starts a builder for vectors of {@code dimension} components compared with {@code metric}. */
    public static Builder builder(final int dimension, final Metric metric) {
        return new Builder(dimension, metric);
    }

    /**
     * Opens an index saved by {@link #save}: the vectors stay in the memory-mapped file (zero copy), the links are
     * read onto the heap so the index accepts inserts (which copy the vectors into memory on the first growth).
     *
     * @throws IOException if the file cannot be read
     * @throws IllegalStateException if it is not an index file, has another format version, is truncated or corrupt
     */
    public static HnswVectorIndex load(final Path file) throws IOException {
        return HnswIndexFile.read(file);
    }

    static HnswVectorIndex fromFile(final Builder settings, final HnswGraph graph) {
        return new HnswVectorIndex(settings, graph);
    }

    @Override
    public int dimension() {
        return dimension;
    }

    @Override
    public Metric metric() {
        return metric;
    }

    @Override
    public int size() {
        final HnswGraph g = graph;
        return g.count - g.tombstoneCount;
    }

    /** Nodes held including tombstones; {@link #compact()} brings it back to {@link #size()}. */
    public int nodeCount() {
        return graph.count;
    }

    /** Removed vectors still held as tombstones (they route searches but are never returned). */
    public int tombstoneCount() {
        return graph.tombstoneCount;
    }

    /** Default search beam ({@code ef}) used by {@link #search(float[], int, OrdinalFilter, SearchResults)}. */
    public int searchBeam() {
        return searchBeam;
    }

    /**
     * Changes the default search beam; visible to searches that start afterwards. Safe from any thread.
     *
     * @throws IllegalArgumentException if {@code beam} is not 1..100000
     */
    public void searchBeam(final int beam) {
        if (beam < 1 || beam > 100_000) {
            throw new IllegalArgumentException("searchBeam must be 1..100000, got " + beam);
        }
        this.searchBeam = beam;
    }

    /** Maximum links per node on the upper levels (level 0 keeps twice as many). */
    public int maxDegree() {
        return maxDegree;
    }

    /** Beam width used while inserting. */
    public int buildBeam() {
        return buildBeam;
    }

    /** Diversity relaxation used by neighbour selection (L2 only). */
    public float alpha() {
        return alpha;
    }

    long seedForFile() {
        return seed;
    }

    /** How traversal reads vectors. */
    public Quantization quantization() {
        return quantization;
    }

    /** Bytes held by vectors, codes and links (an estimate of the off-heap plus heap footprint of the index). */
    public long memoryBytes() {
        final HnswGraph g = graph;
        long bytes = g.vectors.byteSize() + (g.codes != null ? g.codes.byteSize() : 0);
        bytes += 4L * g.links0.length + g.levels.length + 4L * g.nodeOrdinal.length + 8L * g.tombstones.length;
        bytes += 4L * ordinalToNode.length;
        for (int i = 0, n = g.count; i < n; i++) {
            final int[] up = g.upper[i];
            if (up != null) {
                bytes += 16 + 4L * up.length;
            }
        }
        return bytes;
    }

    // ---------------------------------------------------------------------------------------------------------
    // Writes (one writer thread)

    @Override
    public void add(final int ordinal, final float[] vector) {
        checkOrdinal(ordinal);
        VectorChecks.requireValid(vector, dimension, "vector for ordinal " + ordinal);
        final HnswGraph g = ensureCapacity(graph.count + 1);
        if (g.codes != null && g.quantizer == null) {
            g.quantizer = ScalarQuantizer.fit(new float[][] {vector}, 1, metric);
        }
        final int node = g.count;
        writeNode(g, node, ordinal, vector);
        g.count = node + 1;
        if (writerScratch == null) {
            writerScratch = new Scratch(dimension, maxDegree);
        }
        link(g, node, writerScratch);
    }

    /**
     * Inserts {@code vectors[i]} under ordinal {@code firstOrdinal + i}, linking on up to {@code buildThreads}
     * threads (the caller is one of them). Existing ordinals are replaced. With int8 quantization, the first batch
     * fixes the quantizer's range.
     *
     * @throws IllegalArgumentException naming the first bad vector, before anything is inserted
     */
    public void addAll(final float[][] vectors, final int firstOrdinal) {
        checkOrdinal(firstOrdinal);
        final int n = vectors.length;
        if ((long) firstOrdinal + n > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("firstOrdinal + vectors.length overflows an int: " + firstOrdinal
                    + " + " + n);
        }
        for (int i = 0; i < n; i++) {
            VectorChecks.requireValid(vectors[i], dimension, "vector for ordinal " + (firstOrdinal + i));
        }
        if (n == 0) {
            return;
        }
        final HnswGraph g = ensureCapacity(graph.count + n);
        if (g.codes != null && g.quantizer == null) {
            g.quantizer = ScalarQuantizer.fit(vectors, n, metric);
        }
        final int base = g.count;
        for (int i = 0; i < n; i++) {
            writeNode(g, base + i, firstOrdinal + i, vectors[i]);
        }
        g.count = base + n;
        linkAll(g, base, n);
    }

    @Override
    public boolean remove(final int ordinal) {
        if (ordinal < 0 || ordinal >= ordinalToNode.length) {
            return false;
        }
        final int node = ordinalToNode[ordinal];
        if (node < 0) {
            return false;
        }
        ordinalToNode[ordinal] = -1;
        graph.markDeleted(node);
        return true;
    }

    /**
     * Rebuilds the graph from the live vectors only, dropping every tombstone, on {@code buildThreads} threads.
     * Searches keep using the old generation until the new one is complete, then switch to it.
     *
     * @return the number of tombstones dropped
     */
    public int compact() {
        final HnswGraph old = graph;
        final int dropped = old.tombstoneCount;
        if (dropped == 0) {
            return 0;
        }
        final int n = old.count;
        final int live = n - dropped;
        final HnswGraph g = new HnswGraph(
                dimension, maxDegree, Math.max(16, live), old.codes != null, old.quantizer);
        int node = 0;
        for (int i = 0; i < n; i++) {
            if (old.isDeleted(i)) {
                continue;
            }
            MemorySegment.copy(old.vectors, i * old.rowBytes, g.vectors, node * g.rowBytes, g.rowBytes);
            if (g.codes != null) {
                MemorySegment.copy(old.codes, (long) i * dimension, g.codes, (long) node * dimension, dimension);
            }
            g.nodeOrdinal[node] = old.nodeOrdinal[i];
            g.levels[node] = (byte) randomLevel(node);
            allocateUpper(g, node);
            node++;
        }
        g.count = live;
        linkAll(g, 0, live);
        graph = g;
        rebuildOrdinalMap(g);
        return dropped;
    }

    /**
     * Writes the index to {@code file} (through a temporary file and an atomic rename). Call from the writer thread;
     * searches may run meanwhile.
     */
    public void save(final Path file) throws IOException {
        HnswIndexFile.write(this, graph, file);
    }

    /**
     * Unmaps the file this index was loaded from, if any (later generations made by growth or compaction live in
     * GC-managed memory). Call only when no search is running: a search on the mapping would fail.
     */
    @Override
    public void close() {
        if (fileArena != null && fileArena.scope().isAlive()) {
            fileArena.close();
        }
    }

    private void checkOrdinal(final int ordinal) {
        if (ordinal < 0) {
            throw new IllegalArgumentException("ordinal must be >= 0, got " + ordinal);
        }
    }

    private HnswGraph ensureCapacity(final int needed) {
        HnswGraph g = graph;
        if (needed > g.capacity) {
            final int capacity = (int) Math.min(Integer.MAX_VALUE - 8, Math.max((long) needed, 2L * g.capacity));
            g = g.grow(capacity);
            graph = g;
        }
        return g;
    }

    private void writeNode(final HnswGraph g, final int node, final int ordinal, final float[] vector) {
        if (ordinal >= ordinalToNode.length) {
            final int old = ordinalToNode.length;
            final int[] grown = Arrays.copyOf(ordinalToNode, Math.max(ordinal + 1, Math.max(16, old * 2)));
            Arrays.fill(grown, old, grown.length, -1);
            ordinalToNode = grown; // publish only once filled
        }
        final int previous = ordinalToNode[ordinal];
        if (previous >= 0) {
            g.markDeleted(previous);
        }
        ordinalToNode[ordinal] = node;
        final float[] v;
        if (metric == Metric.COSINE) {
            v = writerVector;
            System.arraycopy(vector, 0, v, 0, dimension);
            FlatVectorIndex.normaliseInPlace(v);
        } else {
            v = vector;
        }
        MemorySegment.copy(v, 0, g.vectors, HnswGraph.FLOAT, node * g.rowBytes, dimension);
        if (g.codes != null) {
            g.quantizer.encode(v, writerCode);
            MemorySegment.copy(writerCode, 0, g.codes, ValueLayout.JAVA_BYTE, (long) node * dimension, dimension);
        }
        g.nodeOrdinal[node] = ordinal;
        g.levels[node] = (byte) randomLevel(node);
        allocateUpper(g, node);
    }

    private void allocateUpper(final HnswGraph g, final int node) {
        final int level = g.levels[node];
        g.upper[node] = level > 0 ? new int[level * (maxDegree + 1)] : null;
        Arrays.fill(g.links0, node * g.stride0, (node + 1) * g.stride0, 0);
    }

    private void rebuildOrdinalMap(final HnswGraph g) {
        int max = -1;
        for (int i = 0; i < g.count; i++) {
            max = Math.max(max, g.nodeOrdinal[i]);
        }
        final int[] map = new int[Math.max(16, max + 1)];
        Arrays.fill(map, -1);
        for (int i = 0; i < g.count; i++) {
            if (!g.isDeleted(i)) {
                map[g.nodeOrdinal[i]] = i;
            }
        }
        ordinalToNode = map;
    }

    /** A level drawn from the geometric distribution HNSW uses, reproducible from the seed and node id. */
    private int randomLevel(final int node) {
        long z = seed + (node + 1L) * 0x9E3779B97F4A7C15L;
        z = (z ^ (z >>> 33)) * 0xff51afd7ed558ccdL;
        z = (z ^ (z >>> 33)) * 0xc4ceb9fe1a85ec53L;
        z ^= z >>> 33;
        final double u = ((z >>> 11) + 1) * 0x1.0p-53; // (0, 1]
        return (int) Math.min(MAX_LEVEL, Math.floor(-Math.log(u) * levelMultiplier));
    }

    private void linkAll(final HnswGraph g, final int base, final int n) {
        final int threads = Math.max(1, Math.min(buildThreads, n / 256));
        if (threads == 1) {
            if (writerScratch == null) {
                writerScratch = new Scratch(dimension, maxDegree);
            }
            for (int i = 0; i < n; i++) {
                link(g, base + i, writerScratch);
            }
            return;
        }
        final AtomicInteger next = new AtomicInteger();
        final AtomicReference<Throwable> failure = new AtomicReference<>();
        final Runnable worker = () -> {
            final Scratch s = new Scratch(dimension, maxDegree);
            try {
                for (int i = next.getAndIncrement(); i < n && failure.get() == null; i = next.getAndIncrement()) {
                    link(g, base + i, s);
                }
            } catch (final Throwable t) {
                failure.compareAndSet(null, t);
            }
        };
        final Thread[] pool = new Thread[threads - 1];
        for (int t = 0; t < pool.length; t++) {
            pool[t] = Thread.ofPlatform().name("hnsw-build-" + t).daemon(true).start(worker);
        }
        worker.run();
        for (final Thread t : pool) {
            try {
                t.join();
            } catch (final InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while building the graph", e);
            }
        }
        final Throwable t = failure.get();
        if (t != null) {
            throw new IllegalStateException("graph build failed: " + t, t);
        }
    }

    /** Links an already written node into the graph. Safe to run concurrently for different nodes. */
    private void link(final HnswGraph g, final int node, final Scratch s) {
        final int level = g.levels[node];
        long entry = g.entry;
        if (entry == -1L) {
            synchronized (entryLock) {
                entry = g.entry;
                if (entry == -1L) {
                    g.entry = HnswGraph.packEntry(level, node);
                    return;
                }
            }
        }
        final float[] q = s.query;
        g.readVector(node, q);
        final int topLevel = HnswGraph.entryLevel(entry);
        int current = HnswGraph.entryNode(entry);
        float currentScore = buildScore(g, q, current);
        for (int l = topLevel; l > level; l--) {
            // Greedy descent: move to a better neighbour until none is better.
            boolean moved = true;
            while (moved) {
                moved = false;
                final int[] up = g.upper[current];
                final int off = (l - 1) * (maxDegree + 1);
                final int count = up[off];
                for (int j = 1; j <= count; j++) {
                    final int nb = up[off + j];
                    final float sc = buildScore(g, q, nb);
                    if (sc > currentScore) {
                        currentScore = sc;
                        current = nb;
                        moved = true;
                    }
                }
            }
        }
        final int linkedLevels = Math.min(level, topLevel);
        for (int l = linkedLevels; l >= 0; l--) {
            searchLayer(g, q, null, current, buildBeam, l, null, false, true, s);
            final int found = s.drainSorted();
            final long[] sorted = s.sorted;
            // The node itself can be found when it was already reachable; it must never link to itself.
            int w = 0;
            for (int i = 0; i < found; i++) {
                if (TopK.ordinal(sorted[i]) != node) {
                    sorted[w++] = sorted[i];
                }
            }
            final int maxDeg = l == 0 ? g.maxDegree0 : maxDegree;
            final int kept = selectDiverse(g, sorted, w, maxDeg, s.levelSelected[l], s);
            s.levelCounts[l] = kept;
            setLinks(g, node, l, s.levelSelected[l], kept);
            if (w > 0) {
                current = TopK.ordinal(sorted[0]);
            }
        }
        // Only now make the node reachable: a search (or another inserter) that arrives through a back link must
        // find its links on every level it descends through, level 0 included.
        for (int l = linkedLevels; l >= 0; l--) {
            final int[] selected = s.levelSelected[l];
            for (int i = 0, kept = s.levelCounts[l]; i < kept; i++) {
                addBackLink(g, selected[i], node, l, s);
            }
        }
        if (level > topLevel) {
            synchronized (entryLock) {
                if (level > HnswGraph.entryLevel(g.entry)) {
                    g.entry = HnswGraph.packEntry(level, node);
                }
            }
        }
    }

    /**
     * HNSW's neighbour heuristic: walking the candidates best first, keeps one only if it is closer to the base than
     * to every neighbour kept so far (relaxed by alpha for L2). Candidates are packed (score to base, node).
     */
    private int selectDiverse(
            final HnswGraph g, final long[] candidates, final int n, final int maxDeg, final int[] out, final Scratch s) {
        int kept = 0;
        final float[] cv = s.candidate;
        for (int i = 0; i < n && kept < maxDeg; i++) {
            final int c = TopK.ordinal(candidates[i]);
            final float toBase = TopK.score(candidates[i]);
            g.readVector(c, cv);
            boolean diverse = true;
            for (int j = 0; j < kept; j++) {
                if (!diverse(toBase, buildScore(g, cv, out[j]))) {
                    diverse = false;
                    break;
                }
            }
            if (diverse) {
                out[kept++] = c;
            }
        }
        return kept;
    }

    /**
     * Vamana's rule in squared distances: keep candidate c unless some kept neighbour r is closer to c than the base
     * is, by a factor alpha: {@code d(base, c)^2 < alpha^2 d(c, r)^2}. Cosine scores of unit vectors map to
     * {@code d^2 = 2 - 2 s}; inner product has no distance, so it compares scores (alpha does not apply).
     */
    private boolean diverse(final float toBase, final float toKept) {
        return buildL2 ? -toBase < alphaSquared * -toKept : 1f - toBase < alphaSquared * (1f - toKept);
    }

    private void setLinks(final HnswGraph g, final int node, final int level, final int[] nbrs, final int count) {
        synchronized (locks[node & (LOCK_STRIPES - 1)]) {
            if (level == 0) {
                final int base = node * g.stride0;
                System.arraycopy(nbrs, 0, g.links0, base + 1, count);
                g.links0[base] = count;
            } else {
                final int[] up = g.upper[node];
                final int base = (level - 1) * (maxDegree + 1);
                System.arraycopy(nbrs, 0, up, base + 1, count);
                up[base] = count;
            }
        }
    }

    private void addBackLink(final HnswGraph g, final int target, final int node, final int level, final Scratch s) {
        final int[] links;
        final int base;
        final int maxDeg;
        if (level == 0) {
            links = g.links0;
            base = target * g.stride0;
            maxDeg = g.maxDegree0;
        } else {
            links = g.upper[target];
            base = (level - 1) * (maxDegree + 1);
            maxDeg = maxDegree;
        }
        synchronized (locks[target & (LOCK_STRIPES - 1)]) {
            final int count = links[base];
            for (int j = 1; j <= count; j++) {
                if (links[base + j] == node) {
                    return;
                }
            }
            if (count < maxDeg) {
                links[base + 1 + count] = node;
                links[base] = count + 1;
                return;
            }
            // Full: choose the most diverse maxDeg among the current links and the new node.
            final float[] tv = s.target;
            g.readVector(target, tv);
            final long[] pool = s.pool;
            for (int j = 0; j < count; j++) {
                final int nb = links[base + 1 + j];
                pool[j] = TopK.pack(buildScore(g, tv, nb), nb);
            }
            pool[count] = TopK.pack(buildScore(g, tv, node), node);
            Arrays.sort(pool, 0, count + 1);
            reverse(pool, count + 1);
            final int kept = selectDiverse(g, pool, count + 1, maxDeg, s.prune, s);
            System.arraycopy(s.prune, 0, links, base + 1, kept);
            links[base] = kept;
        }
    }

    private static void reverse(final long[] a, final int n) {
        for (int i = 0, j = n - 1; i < j; i++, j--) {
            final long t = a[i];
            a[i] = a[j];
            a[j] = t;
        }
    }

    // ---------------------------------------------------------------------------------------------------------
    // Search (any thread)

    @Override
    public int search(final float[] query, final int k, final OrdinalFilter filter, final SearchResults out) {
        return search(query, k, searchBeam, filter, out);
    }

    /**
     * Like {@link #search(float[], int, OrdinalFilter, SearchResults)} with an explicit beam ({@code ef}); the beam
     * used is {@code max(k, beam)}. Larger beams raise recall and cost.
     *
     * @throws IllegalArgumentException if the query has the wrong length or is not finite, or k or beam is not
     *     positive
     */
    public int search(
            final float[] query, final int k, final int beam, final OrdinalFilter filter, final SearchResults out) {
        VectorChecks.requireValid(query, dimension, "query");
        if (k <= 0) {
            throw new IllegalArgumentException("k must be positive, got " + k);
        }
        if (beam <= 0) {
            throw new IllegalArgumentException("beam must be positive, got " + beam);
        }
        final HnswGraph g = graph;
        final int n = g.count;
        final long entry = g.entry;
        if (n == 0 || entry == -1L) {
            out.reset(0);
            return 0;
        }
        final Scratch s = scratch.get();
        final float[] q;
        if (metric == Metric.COSINE) {
            System.arraycopy(query, 0, s.query, 0, dimension);
            FlatVectorIndex.normaliseInPlace(s.query);
            q = s.query;
        } else {
            q = query;
        }
        final OrdinalFilter f = filter == OrdinalFilter.ALL ? null : filter;
        final int ef = Math.max(k, beam);
        final int plan = f == null ? PLAN_WALK : filterPlan(g, n, f, ef);
        if (plan == PLAN_EXACT) {
            return exactScan(g, n, q, k, f, out, s);
        }
        final boolean deletions = g.tombstoneCount > 0;
        final boolean quantized = g.codes != null;
        byte[] qc = null;
        if (quantized) {
            qc = s.queryCode;
            g.quantizer.encode(q, qc);
        }
        // Greedy descent through the upper levels.
        int current = HnswGraph.entryNode(entry);
        float currentScore = quantized ? score8(g, qc, current) : score(g, q, current);
        for (int l = HnswGraph.entryLevel(entry); l > 0; l--) {
            final int off = (l - 1) * (maxDegree + 1);
            boolean moved = true;
            while (moved) {
                moved = false;
                final int[] up = g.upper[current];
                final int count = up[off];
                for (int j = 1; j <= count; j++) {
                    final int nb = up[off + j];
                    final float sc = quantized ? score8(g, qc, nb) : score(g, q, nb);
                    if (sc > currentScore) {
                        currentScore = sc;
                        current = nb;
                        moved = true;
                    }
                }
            }
        }
        if (plan == PLAN_TWO_HOP) {
            searchTwoHop(g, q, qc, current, ef, f, deletions, s);
        } else {
            searchLayer(g, q, qc, current, ef, 0, f, deletions, false, s);
        }
        if (f != null && s.results.size() < k) {
            // The walk ran out of accepted nodes it could reach (a very selective filter, or one that cuts the graph
            // apart): the exact scan finds every accepted node.
            return exactScan(g, n, q, k, f, out, s);
        }
        if (quantized) {
            // Re-score the whole beam exactly; int8 order is only approximately right.
            final TopK top = s.top;
            top.reset(k);
            final LongHeap results = s.results;
            for (int i = 0, m = results.size(); i < m; i++) {
                final int node = TopK.ordinal(results.get(i));
                top.offer(score(g, q, node), g.nodeOrdinal[node]);
            }
            top.drainTo(out);
            return out.count();
        }
        final LongHeap results = s.results;
        while (results.size() > k) {
            results.pop();
        }
        final int m = s.drainSorted();
        final long[] sorted = s.sorted;
        out.reset(m);
        for (int i = 0; i < m; i++) {
            out.add(g.nodeOrdinal[TopK.ordinal(sorted[i])], TopK.score(sorted[i]));
        }
        return m;
    }

    private static final int PLAN_WALK = 0;
    private static final int PLAN_TWO_HOP = 1;
    private static final int PLAN_EXACT = 2;
    /**
     * Below this selectivity the accepted nodes are too sparse for two-hop steps to keep them connected (measured:
     * recall@10 0.70 at 1% on 1M x 64), so the exact scan wins on recall whatever it costs.
     */
    private static final double TWO_HOP_MIN_SELECTIVITY = 0.05;

    /**
     * Chooses how to run a filtered search from the filter's selectivity {@code p}, estimated on a fixed sample of
     * nodes. An unfiltered walk scores about {@code V = ef * M0 / 2} vectors.
     * <ul>
     *   <li>{@code p >= 0.5}: walk the graph as usual, rejected nodes route but never enter the beam (at most ~2V).
     *   <li>an exact scan ({@code p n} distances plus {@code n} filter calls, counted as 1/16 of a distance each)
     *       cheaper than {@code 2V}: scan.
     *   <li>{@code p >= 0.05}: a two-hop walk (as in ACORN): a rejected neighbour is not scored, its own neighbours
     *       are looked at instead, so the walk moves through the accepted subgraph and scores only accepted nodes.
     *   <li>otherwise: scan.
     * </ul>
     * {@link Builder#exactScanSelectivity(double)} set to {@code x >= 0} replaces the scan rule with {@code p < x}.
     */
    private int filterPlan(final HnswGraph g, final int n, final OrdinalFilter f, final int ef) {
        final int step = Math.max(1, n / SELECTIVITY_SAMPLE);
        int sampled = 0;
        int accepted = 0;
        final int[] ordinals = g.nodeOrdinal;
        for (int node = 0; node < n; node += step) {
            sampled++;
            if (f.test(ordinals[node])) {
                accepted++;
            }
        }
        final double p = Math.max(accepted, 0.5) / sampled;
        if (exactScanSelectivity >= 0) {
            return p < exactScanSelectivity ? PLAN_EXACT : p >= 0.5 ? PLAN_WALK : PLAN_TWO_HOP;
        }
        if (p >= 0.5) {
            return PLAN_WALK;
        }
        final double unfiltered = ef * (double) g.maxDegree0 * 0.5;
        final double scan = p * n + (f.nextAccepted(0) == OrdinalFilter.NOT_ENUMERABLE ? n / 16.0 : n / 512.0);
        if (scan <= 2 * unfiltered || p < TWO_HOP_MIN_SELECTIVITY) {
            return PLAN_EXACT;
        }
        return PLAN_TWO_HOP;
    }

    /**
     * Level-0 beam search for selective filters: only accepted nodes are scored and queued; a rejected neighbour is
     * stepped over to its own neighbours. Leaves up to {@code ef} accepted nodes in {@code s.results}.
     */
    private void searchTwoHop(
            final HnswGraph g,
            final float[] q,
            final byte[] qc,
            final int entryNode,
            final int ef,
            final OrdinalFilter filter,
            final boolean deletions,
            final Scratch s) {
        final boolean quantized = qc != null;
        final int[] visited = s.visited(g.capacity);
        final int mark = s.mark;
        final LongHeap candidates = s.candidates;
        final LongHeap results = s.results;
        candidates.clear();
        results.clear();
        final int[] nodeOrdinal = g.nodeOrdinal;
        final int[] links = g.links0;
        final int stride0 = g.stride0;

        visited[entryNode] = mark;
        final float entryScore = quantized ? score8(g, qc, entryNode) : score(g, q, entryNode);
        candidates.push(~TopK.pack(entryScore, entryNode));
        if ((!deletions || !g.isDeleted(entryNode)) && filter.test(nodeOrdinal[entryNode])) {
            results.push(TopK.pack(entryScore, entryNode));
        }
        float worst = results.size() >= ef ? TopK.score(results.peek()) : Float.NEGATIVE_INFINITY;
        while (!candidates.isEmpty()) {
            final long best = ~candidates.pop();
            if (TopK.score(best) < worst) {
                break;
            }
            final int base = TopK.ordinal(best) * stride0;
            for (int j = base + 1, end = base + 1 + links[base]; j < end; j++) {
                final int nb = links[j];
                if (visited[nb] == mark) {
                    continue;
                }
                visited[nb] = mark;
                if ((!deletions || !g.isDeleted(nb)) && filter.test(nodeOrdinal[nb])) {
                    worst = offer(g, q, qc, nb, ef, worst, candidates, results, quantized);
                    continue;
                }
                final int base2 = nb * stride0;
                for (int i = base2 + 1, end2 = base2 + 1 + links[base2]; i < end2; i++) {
                    final int nb2 = links[i];
                    // Rejected second-hop nodes stay unmarked: reached directly later, they are stepped over too.
                    if (visited[nb2] == mark
                            || (deletions && g.isDeleted(nb2))
                            || !filter.test(nodeOrdinal[nb2])) {
                        continue;
                    }
                    visited[nb2] = mark;
                    worst = offer(g, q, qc, nb2, ef, worst, candidates, results, quantized);
                }
            }
        }
    }

    private float offer(
            final HnswGraph g,
            final float[] q,
            final byte[] qc,
            final int node,
            final int ef,
            final float worst,
            final LongHeap candidates,
            final LongHeap results,
            final boolean quantized) {
        final float sc = quantized ? score8(g, qc, node) : score(g, q, node);
        if (!(sc > worst)) {
            return worst;
        }
        final long packed = TopK.pack(sc, node);
        candidates.push(~packed);
        if (results.size() < ef) {
            results.push(packed);
        } else {
            results.replaceTop(packed);
        }
        return results.size() >= ef ? TopK.score(results.peek()) : Float.NEGATIVE_INFINITY;
    }

    private int exactScan(
            final HnswGraph g,
            final int n,
            final float[] q,
            final int k,
            final OrdinalFilter f,
            final SearchResults out,
            final Scratch s) {
        final TopK top = s.top;
        top.reset(k);
        final boolean deletions = g.tombstoneCount > 0;
        final int first = f.nextAccepted(0);
        if (first != OrdinalFilter.NOT_ENUMERABLE) {
            // Visit only the accepted ordinals: n filter calls would cost more than the distances at 1% of 1M.
            final int[] map = ordinalToNode;
            for (int ord = first; ord >= 0 && ord < map.length; ord = f.nextAccepted(ord + 1)) {
                final int node = map[ord];
                if (node < 0 || node >= n || (deletions && g.isDeleted(node)) || g.nodeOrdinal[node] != ord) {
                    continue; // absent, not yet published in this generation, removed, or from another generation
                }
                top.offer(score(g, q, node), ord);
            }
            top.drainTo(out);
            return out.count();
        }
        final int[] ordinals = g.nodeOrdinal;
        for (int node = 0; node < n; node++) {
            if (deletions && g.isDeleted(node)) {
                continue;
            }
            final int ord = ordinals[node];
            if (f.test(ord)) {
                top.offer(score(g, q, node), ord);
            }
        }
        top.drainTo(out);
        return out.count();
    }

    /**
     * Best-first beam search on one level from {@code entryNode}. Leaves up to {@code ef} accepted nodes, packed
     * (score, node), in {@code s.results}. Rejected nodes (filtered out or deleted) still route the walk.
     */
    private void searchLayer(
            final HnswGraph g,
            final float[] q,
            final byte[] qc,
            final int entryNode,
            final int ef,
            final int level,
            final OrdinalFilter filter,
            final boolean deletions,
            final boolean build,
            final Scratch s) {
        final boolean quantized = qc != null;
        final int[] visited = s.visited(g.capacity);
        final int mark = s.mark;
        final LongHeap candidates = s.candidates;
        final LongHeap results = s.results;
        candidates.clear();
        results.clear();
        final int[] nodeOrdinal = g.nodeOrdinal;
        final int[] links0 = g.links0;
        final int stride0 = g.stride0;
        final int upperOff = (level - 1) * (maxDegree + 1);

        visited[entryNode] = mark;
        final float entryScore =
                quantized ? score8(g, qc, entryNode) : build ? buildScore(g, q, entryNode) : score(g, q, entryNode);
        candidates.push(~TopK.pack(entryScore, entryNode));
        if ((!deletions || !g.isDeleted(entryNode)) && (filter == null || filter.test(nodeOrdinal[entryNode]))) {
            results.push(TopK.pack(entryScore, entryNode));
        }
        float worst = results.size() >= ef ? TopK.score(results.peek()) : Float.NEGATIVE_INFINITY;
        while (!candidates.isEmpty()) {
            final long best = ~candidates.pop();
            if (TopK.score(best) < worst) {
                break;
            }
            final int node = TopK.ordinal(best);
            final int[] links;
            final int base;
            if (level == 0) {
                links = links0;
                base = node * stride0;
            } else {
                links = g.upper[node];
                base = upperOff;
            }
            final int count = links[base];
            for (int j = base + 1, end = base + 1 + count; j < end; j++) {
                final int nb = links[j];
                if (visited[nb] == mark) {
                    continue;
                }
                visited[nb] = mark;
                final float sc = quantized ? score8(g, qc, nb) : build ? buildScore(g, q, nb) : score(g, q, nb);
                if (sc > worst) {
                    candidates.push(~TopK.pack(sc, nb));
                    if ((!deletions || !g.isDeleted(nb)) && (filter == null || filter.test(nodeOrdinal[nb]))) {
                        final long packed = TopK.pack(sc, nb);
                        if (results.size() < ef) {
                            results.push(packed);
                        } else {
                            results.replaceTop(packed);
                        }
                        if (results.size() >= ef) {
                            worst = TopK.score(results.peek());
                        }
                    }
                }
            }
        }
    }

    private float score(final HnswGraph g, final float[] q, final int node) {
        final long offset = node * g.rowBytes;
        return l2 ? -OPS.squaredDistance(q, g.vectors, offset, dimension) : OPS.dotProduct(q, g.vectors, offset, dimension);
    }

    /**
     * Score used while building: the search score, except for inner product, whose graph is built in Euclidean
     * space (inner product is not a metric, and a graph linked by it connects poorly; searches still rank by it).
     */
    private float buildScore(final HnswGraph g, final float[] q, final int node) {
        final long offset = node * g.rowBytes;
        return buildL2 ? -OPS.squaredDistance(q, g.vectors, offset, dimension)
                : OPS.dotProduct(q, g.vectors, offset, dimension);
    }

    private float score8(final HnswGraph g, final byte[] qc, final int node) {
        final long offset = (long) node * dimension;
        return l2 ? -OPS.squaredDistanceInt8(qc, g.codes, offset, dimension)
                : OPS.dotProductInt8(qc, g.codes, offset, dimension);
    }

    /** Per-thread scratch of a searcher or a build thread; reused across calls, grown on demand. */
    static final class Scratch {
        final float[] query;
        final float[] candidate;
        final float[] target;
        final byte[] queryCode;
        final int[][] levelSelected;
        final int[] levelCounts = new int[MAX_LEVEL + 1];
        final int[] prune;
        final long[] pool;
        final LongHeap candidates = new LongHeap(512);
        final LongHeap results = new LongHeap(512);
        final TopK top = new TopK(64);
        long[] sorted = new long[512];
        private int[] visited = new int[0];
        int mark;

        Scratch(final int dimension, final int maxDegree) {
            query = new float[dimension];
            candidate = new float[dimension];
            target = new float[dimension];
            queryCode = new byte[dimension];
            levelSelected = new int[MAX_LEVEL + 1][2 * maxDegree + 1];
            prune = new int[2 * maxDegree + 1];
            pool = new long[2 * maxDegree + 2];
        }

        /** The visited marks for a graph of {@code capacity} nodes, with a fresh mark for this walk. */
        int[] visited(final int capacity) {
            if (visited.length < capacity) {
                visited = new int[Math.max(capacity, visited.length + (visited.length >>> 1))];
                mark = 0;
            }
            if (++mark == 0) {
                Arrays.fill(visited, 0);
                mark = 1;
            }
            return visited;
        }

        /** Moves {@link #results} into {@link #sorted}, best first; returns how many. */
        int drainSorted() {
            final int m = results.size();
            if (sorted.length < m) {
                sorted = new long[Math.max(m, sorted.length * 2)];
            }
            for (int i = m - 1; i >= 0; i--) {
                sorted[i] = results.pop();
            }
            return m;
        }
    }

    /**
     * Asks the kernel to keep the vectors (and int8 codes) resident: {@code MADV_HUGEPAGE} and
     * {@code MADV_WILLNEED}, plus {@code mlock} when {@code lock}. A refusal (e.g. {@code RLIMIT_MEMLOCK}) comes back
     * in the results and is logged as a warning; the index works the same, only with page faults. The graph's links
     * live on the Java heap and are not covered. Call it again after the index has grown.
     *
     * <p>Threading: any thread; it only advises the kernel.
     *
     * @return one result per call made, in order
     */
    public java.util.List<io.funnel.ffi.NativeResult> adviseResident(final boolean lock) {
        final HnswGraph g = graph;
        final java.util.List<io.funnel.ffi.NativeResult> results = new java.util.ArrayList<>();
        for (final MemorySegment segment : g.codes == null
                ? java.util.List.of(g.vectors) : java.util.List.of(g.vectors, g.codes)) {
            results.add(io.funnel.ffi.Memory.madvise(segment, io.funnel.ffi.Memory.MADV_HUGEPAGE));
            results.add(io.funnel.ffi.Memory.madvise(segment, io.funnel.ffi.Memory.MADV_WILLNEED));
            if (lock) {
                results.add(io.funnel.ffi.Memory.mlock(segment));
            }
        }
        for (final io.funnel.ffi.NativeResult r : results) {
            if (r.status() == io.funnel.ffi.NativeResult.Status.REFUSED) {
                System.getLogger(HnswVectorIndex.class.getName()).log(System.Logger.Level.WARNING,
                        "index residency: " + r.message() + " (the index works without it)");
            }
        }
        return results;
    }

    /**
     * Settings for a new {@link HnswVectorIndex}, checked together at {@link #build()}.
     *
     * <p>Threading: a builder is not thread-safe; the index it builds is described on {@link HnswVectorIndex}.
     */
    public static final class Builder {
        final int dimension;
        final Metric metric;
        int maxDegree = 16;
        int buildBeam = 100;
        int searchBeam = 100;
        float alpha = 1.0f;
        int initialCapacity = 1024;
        int buildThreads = Runtime.getRuntime().availableProcessors();
        Quantization quantization = Quantization.NONE;
        double exactScanSelectivity = -1;
        long seed = 42;

        Builder(final int dimension, final Metric metric) {
            this.dimension = dimension;
            this.metric = metric;
        }

        /** Links per node on the upper levels, 2..256 (level 0 keeps twice as many). Default 16. */
        public Builder maxDegree(final int maxDegree) {
            this.maxDegree = maxDegree;
            return this;
        }

        /** Beam width ({@code efConstruction}) while inserting, 1..10000 and at least maxDegree. Default 100. */
        public Builder buildBeam(final int buildBeam) {
            this.buildBeam = buildBeam;
            return this;
        }

        /**
         * Default search beam ({@code ef}), 1..100000; changeable later. Default 100: recall@10 0.999 on SIFT10K and
         * about 0.965 on 1M x 64 clustered Gaussian data (64 gave 0.936 there).
         */
        public Builder searchBeam(final int searchBeam) {
            this.searchBeam = searchBeam;
            return this;
        }

        /** Diversity relaxation for L2 neighbour selection, 1.0..2.0 (1.0 is plain HNSW). Default 1.0. */
        public Builder alpha(final float alpha) {
            this.alpha = alpha;
            return this;
        }

        /** Nodes to allocate room for up front, 1..2^30; the index grows by doubling. Default 1024. */
        public Builder initialCapacity(final int initialCapacity) {
            this.initialCapacity = initialCapacity;
            return this;
        }

        /**
         * Threads that {@code addAll} and {@code compact} link on, 1..1024 (batches under 512 nodes link on one).
         * Default: available processors. Only 1 builds a reproducible graph for a seed: with more, the link order
         * depends on thread timing (see {@link HnswVectorIndex}).
         */
        public Builder buildThreads(final int buildThreads) {
            this.buildThreads = buildThreads;
            return this;
        }

        /** Traversal representation. Default {@link Quantization#NONE}. */
        public Builder quantization(final Quantization quantization) {
            this.quantization = quantization;
            return this;
        }

        /**
         * Filter selectivity (fraction of nodes accepted, 0..1) below which filtered searches scan exactly instead of
         * walking the graph (0: always walk, 1: always scan); a negative value (the default) chooses by the cost model
         * described on {@link HnswVectorIndex}. Whatever the choice, a walk that finds fewer than k accepted nodes
         * falls back to the scan.
         */
        public Builder exactScanSelectivity(final double selectivity) {
            this.exactScanSelectivity = selectivity;
            return this;
        }

        /**
         * Seed of the level assignment (default 42). A node's level depends only on the seed and its position, so
         * single-threaded builds with one seed are reproducible (see {@link #buildThreads(int)}).
         */
        public Builder seed(final long seed) {
            this.seed = seed;
            return this;
        }

        /**
         * Checks every setting and creates an empty index.
         *
         * @throws IllegalArgumentException naming the first bad setting and its value
         */
        public HnswVectorIndex build() {
            validate();
            return new HnswVectorIndex(this, null);
        }

        void validate() {
            if (dimension < 1 || dimension > 65_536) {
                throw new IllegalArgumentException("dimension must be 1..65536, got " + dimension);
            }
            if (metric == null) {
                throw new IllegalArgumentException("metric must be set (l2, ip or cosine), got null");
            }
            if (maxDegree < 2 || maxDegree > 256) {
                throw new IllegalArgumentException("maxDegree must be 2..256, got " + maxDegree);
            }
            if (buildBeam < 1 || buildBeam > 10_000) {
                throw new IllegalArgumentException("buildBeam must be 1..10000, got " + buildBeam);
            }
            if (buildBeam < maxDegree) {
                throw new IllegalArgumentException(
                        "buildBeam must be >= maxDegree (" + maxDegree + "), got " + buildBeam);
            }
            if (searchBeam < 1 || searchBeam > 100_000) {
                throw new IllegalArgumentException("searchBeam must be 1..100000, got " + searchBeam);
            }
            if (!(alpha >= 1.0f && alpha <= 2.0f)) {
                throw new IllegalArgumentException("alpha must be 1.0..2.0, got " + alpha);
            }
            if (initialCapacity < 1 || initialCapacity > (1 << 30)) {
                throw new IllegalArgumentException("initialCapacity must be 1..2^30, got " + initialCapacity);
            }
            if (buildThreads < 1 || buildThreads > 1024) {
                throw new IllegalArgumentException("buildThreads must be 1..1024, got " + buildThreads);
            }
            if (quantization == null) {
                throw new IllegalArgumentException("quantization must be NONE or INT8, got null");
            }
            if (Double.isNaN(exactScanSelectivity) || exactScanSelectivity > 1) {
                throw new IllegalArgumentException(
                        "exactScanSelectivity must be <= 1 (negative: cost model), got " + exactScanSelectivity);
            }
        }
    }
}
