package io.funnel.model;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Versions of the ranking model: loads ranker bundles from a folder of versions, validates and warms each one up,
 * swaps the serving version atomically, keeps the last few loaded for an instant {@link #rollback()}, and optionally
 * polls the folder for new versions.
 *
 * <p>Layout: {@code <root>/<version>/<subPath>/} is a ranker bundle ({@code manifest.json}, {@code saved_model/},
 * {@code golden.json}); {@code subPath} defaults to {@code ranker}, matching {@code bundles/<version>/ranker/}.
 * Versions are ordered by folder name, so name them to sort (e.g. {@code 20261123T093000Z}); folders starting with
 * a dot or ending in {@code .tmp} are ignored, and a folder counts only once its manifest exists (write the manifest
 * last, or write elsewhere and rename).
 *
 * <p>A bundle is rejected, and the serving version keeps serving, when its manifest is missing or invalid, its
 * feature list differs from the expected one (or from the serving model's), its heads differ from the serving
 * model's, TensorFlow cannot load it, or its golden predictions do not replay within the tolerance.
 *
 * <p>Swaps are safe under load: {@link #scorer()} is a view that pins the serving version for the duration of each
 * call (reference counting), so a call in flight finishes on the old model, which is closed only after its last call
 * and once it falls out of the retained versions.
 *
 * <p>Threading: {@link #scorer()} is safe from any thread and lock-free. {@link #reload()}, {@link #load(Path)} and
 * {@link #rollback()} block (loading a model takes tens to hundreds of milliseconds): call them from a worker
 * thread, never from an event loop; they serialise among themselves.
 */
public final class ModelRegistry implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ModelRegistry.class);

    /** Outcome of {@link #reload()}. */
    public enum Status {
        /** A new version was loaded and now serves. */
        LOADED,
        /** Nothing new to load; the serving version is unchanged. */
        UNCHANGED,
        /** The newest version was rejected; the serving version is unchanged. */
        REJECTED
    }

    /**
     * What {@link #reload()} did.
     *
     * @param status what happened
     * @param version the serving version afterwards ({@code null} when none)
     * @param message a sentence for logs and the admin API; names the bundle path and the reason when rejected
     */
    public record ReloadResult(Status status, String version, String message) {}

    private final Path root;
    private final String subPath;
    private final List<String> expectedFeatures;
    private final int keepVersions;
    private final int[] warmupRows;
    private final int warmupIterations;
    private final double goldenTolerance;
    private final UnaryOperator<SavedModelScorer.Builder> configure;
    private final Consumer<ReloadResult> listener;
    private final CurrentScorer view = new CurrentScorer();
    private final Deque<Loaded> retained = new ArrayDeque<>(); // guarded by this; first = serving
    private final Map<Path, FileTime> rejected = new HashMap<>(); // guarded by this
    private final Set<String> rolledBack = new HashSet<>(); // guarded by this
    private final ScheduledExecutorService watcher;
    private volatile Loaded current;
    private volatile boolean closed;

    private ModelRegistry(final Builder b) {
        this.root = b.root;
        this.subPath = b.subPath;
        this.expectedFeatures = b.expectedFeatures == null ? null : List.copyOf(b.expectedFeatures);
        this.keepVersions = b.keepVersions;
        this.warmupRows = b.warmupRows.clone();
        this.warmupIterations = b.warmupIterations;
        this.goldenTolerance = b.goldenTolerance;
        this.configure = b.configure;
        this.listener = b.listener;
        if (!b.pollInterval.isZero()) {
            watcher = Executors.newSingleThreadScheduledExecutor(r -> {
                final Thread t = new Thread(r, "funnel-model-watcher");
                t.setDaemon(true);
                return t;
            });
            final long ms = b.pollInterval.toMillis();
            watcher.scheduleWithFixedDelay(this::poll, ms, ms, TimeUnit.MILLISECONDS);
        } else {
            watcher = null;
        }
    }

    /** A builder over the folder of versions {@code root}. */
    public static Builder builder(final Path root) {
        return new Builder(root);
    }

    /**
     * A scorer that always scores with the serving version, pinning it for the duration of each call. Its
     * {@link Scorer#score} throws {@link ModelException} while no version is loaded. Hand it to
     * {@link MicroBatcher#builder(Scorer)}. Closing the view does nothing; close the registry.
     */
    public Scorer scorer() {
        return view;
    }

    /** Whether a version is serving. */
    public boolean hasModel() {
        return current != null;
    }

    /** The serving version, or {@code null}. */
    public String currentVersion() {
        final Loaded c = current;
        return c == null ? null : c.manifest.version();
    }

    /** The serving version's manifest, or {@code null}. */
    public RankerManifest currentManifest() {
        final Loaded c = current;
        return c == null ? null : c.manifest;
    }

    /** Loaded versions, serving first, then the ones {@link #rollback()} can return to. */
    public synchronized List<String> versions() {
        return retained.stream().map(l -> l.manifest.version()).toList();
    }

    /**
     * Loads the newest version in the folder if it is not serving yet. A version that was rolled back from, or
     * rejected (and not rewritten since), is not loaded again; it stays {@link Status#UNCHANGED} with a message.
     * Blocking; backs {@code POST /admin/models/reload}.
     */
    public synchronized ReloadResult reload() {
        if (closed) {
            return new ReloadResult(Status.UNCHANGED, currentVersion(), "registry is closed");
        }
        final Path newest;
        try {
            newest = newestVersionDir();
        } catch (IOException e) {
            return report(new ReloadResult(Status.REJECTED, currentVersion(),
                    root + ": cannot list model versions (" + e.getMessage() + ")"));
        }
        if (newest == null) {
            return new ReloadResult(Status.UNCHANGED, currentVersion(), root + ": no model version found");
        }
        final Path bundle = bundleDir(newest);
        final Loaded serving = current;
        if (serving != null && serving.dir.equals(bundle)) {
            return new ReloadResult(Status.UNCHANGED, serving.manifest.version(), "newest version already serves");
        }
        final FileTime stamp = manifestTime(bundle);
        if (stamp != null && stamp.equals(rejected.get(bundle))) {
            return new ReloadResult(Status.UNCHANGED, currentVersion(), bundle + " was rejected before and has not "
                    + "changed since");
        }
        if (rolledBack.contains(newest.getFileName().toString())) {
            return new ReloadResult(Status.UNCHANGED, currentVersion(), bundle + " was rolled back; load it "
                    + "explicitly to serve it again");
        }
        try {
            load(newest);
            return report(new ReloadResult(Status.LOADED, currentVersion(), "loaded " + currentVersion() + " from "
                    + bundle));
        } catch (ModelException e) {
            if (stamp != null) {
                rejected.put(bundle, stamp);
            }
            return report(new ReloadResult(Status.REJECTED, currentVersion(), e.getMessage()));
        }
    }

    /**
     * Loads, validates and warms up the version folder {@code versionDir} (its {@code subPath} holds the bundle),
     * then makes it the serving version. Blocking.
     *
     * @throws ModelException naming the bundle path and the reason when rejected; the serving version is unchanged
     */
    public synchronized void load(final Path versionDir) {
        if (closed) {
            throw new ModelException(root + ": registry is closed");
        }
        final Path dir = bundleDir(versionDir);
        final RankerManifest manifest = RankerManifest.read(dir);
        final List<String> wanted = expectedFeatures != null ? expectedFeatures
                : current != null ? current.manifest.featureNames() : null;
        if (wanted != null && !wanted.equals(manifest.featureNames())) {
            throw ModelException.at(dir, "incompatible feature list: " + featureDiff(wanted, manifest.featureNames()));
        }
        if (current != null && !current.manifest.headNames().equals(manifest.headNames())) {
            throw ModelException.at(dir, "incompatible heads: serving " + current.manifest.headNames()
                    + ", bundle has " + manifest.headNames());
        }
        final Path savedModel = dir.resolve(manifest.savedModel());
        if (!Files.isDirectory(savedModel)) {
            throw ModelException.at(savedModel, "SavedModel directory named by the manifest is missing");
        }
        final SavedModelScorer scorer = configure.apply(SavedModelScorer.forManifest(dir, manifest)).build();
        try {
            checkGolden(dir, scorer);
            warmUp(dir, scorer);
        } catch (RuntimeException e) {
            scorer.close();
            throw e instanceof ModelException m ? m : ModelException.at(dir, "warm-up failed", e);
        }
        activate(new Loaded(dir, manifest, scorer));
        rolledBack.remove(versionDir.getFileName().toString());
        LOG.info("model {} serving from {}", manifest.version(), dir);
    }

    /**
     * Serves the previous retained version again and drops the serving one (closed after its in-flight calls). The
     * dropped version is not re-loaded by {@link #reload()} or the watcher until loaded explicitly.
     *
     * @return the version now serving, or {@code null} when there was nothing to roll back to (nothing changes)
     */
    public synchronized String rollback() {
        if (retained.size() < 2) {
            return null;
        }
        final Loaded dropped = retained.removeFirst();
        current = retained.peekFirst();
        rolledBack.add(versionName(dropped.dir));
        dropped.release();
        LOG.warn("model rolled back from {} to {}", dropped.manifest.version(), current.manifest.version());
        return current.manifest.version();
    }

    /** Stops the watcher and releases every version (each closes after its last in-flight call). */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (watcher != null) {
            watcher.shutdownNow();
        }
        current = null;
        while (!retained.isEmpty()) {
            retained.removeFirst().release();
        }
    }

    private void activate(final Loaded next) {
        retained.addFirst(next);
        current = next;
        while (retained.size() > keepVersions) {
            retained.removeLast().release();
        }
    }

    private void poll() {
        try {
            final ReloadResult result = reload();
            if (result.status() == Status.LOADED) {
                LOG.info("model watcher: {}", result.message());
            }
        } catch (RuntimeException e) {
            LOG.error("model watcher failed on {}", root, e);
        }
    }

    private ReloadResult report(final ReloadResult result) {
        if (result.status() == Status.REJECTED) {
            LOG.error("model bundle rejected, still serving {}: {}", result.version(), result.message());
        }
        try {
            listener.accept(result);
        } catch (RuntimeException e) {
            LOG.warn("model registry listener failed", e);
        }
        return result;
    }

    private Path bundleDir(final Path versionDir) {
        return subPath.isEmpty() ? versionDir : versionDir.resolve(subPath);
    }

    /**
     * Whether a folder of the bundle root may hold a version: names starting with a dot or ending in {@code .tmp} are
     * work in progress and never loaded. Anything else that reads version folders should apply the same rule.
     */
    public static boolean isVersionName(final String folderName) {
        return !folderName.startsWith(".") && !folderName.endsWith(".tmp");
    }

    private String versionName(final Path bundle) {
        return subPath.isEmpty() ? bundle.getFileName().toString() : bundle.getParent().getFileName().toString();
    }

    private Path newestVersionDir() throws IOException {
        if (!Files.isDirectory(root)) {
            throw new IOException("not a directory");
        }
        try (Stream<Path> children = Files.list(root)) {
            return children
                    .filter(Files::isDirectory)
                    .filter(p -> isVersionName(p.getFileName().toString()))
                    .filter(p -> Files.isRegularFile(bundleDir(p).resolve(RankerManifest.FILE_NAME)))
                    .max(Comparator.comparing(p -> p.getFileName().toString()))
                    .orElse(null);
        }
    }

    private static FileTime manifestTime(final Path bundle) {
        try {
            return Files.getLastModifiedTime(bundle.resolve(RankerManifest.FILE_NAME));
        } catch (IOException e) {
            return null;
        }
    }

    private void checkGolden(final Path dir, final Scorer scorer) {
        final Path file = dir.resolve(RankerManifest.GOLDEN_FILE_NAME);
        if (!Files.isRegularFile(file)) {
            return; // optional: bundles from other trainers may not carry one
        }
        final double error;
        try {
            error = GoldenPredictions.read(file).maxAbsoluteError(scorer);
        } catch (ModelException e) {
            throw ModelException.at(file, e.getMessage());
        }
        if (!(error <= goldenTolerance)) {
            throw ModelException.at(file, "golden predictions do not replay: max |error| " + error + " > "
                    + goldenTolerance + " (corrupt or mismatched variables?)");
        }
    }

    private void warmUp(final Path dir, final Scorer scorer) {
        final int f = scorer.featureCount();
        final Path goldenFile = dir.resolve(RankerManifest.GOLDEN_FILE_NAME);
        final float[][] rowsOf = Files.isRegularFile(goldenFile) ? GoldenPredictions.read(goldenFile).inputs()
                : new float[][] {new float[f]};
        int max = 0;
        for (final int r : warmupRows) {
            max = Math.max(max, r);
        }
        final float[] x = new float[max * f];
        for (int r = 0; r < max; r++) {
            final float[] src = rowsOf.length == 0 ? new float[f] : rowsOf[r % rowsOf.length];
            System.arraycopy(src, 0, x, r * f, f);
        }
        final float[] out = new float[max * scorer.headCount()];
        for (int i = 0; i < warmupIterations; i++) {
            for (final int rows : warmupRows) {
                scorer.score(x, rows, out);
            }
        }
    }

    static String featureDiff(final List<String> expected, final List<String> actual) {
        final List<String> missing = new ArrayList<>(expected);
        missing.removeAll(actual);
        final List<String> extra = new ArrayList<>(actual);
        extra.removeAll(expected);
        if (missing.isEmpty() && extra.isEmpty()) {
            return "same features in a different order: expected " + expected + ", bundle has " + actual;
        }
        return "expected " + expected.size() + " features, bundle has " + actual.size() + "; missing " + missing
                + ", unexpected " + extra;
    }

    private Loaded acquire() {
        while (true) {
            final Loaded c = current;
            if (c == null) {
                throw new ModelException(root + ": no model version is loaded");
            }
            if (c.retain()) {
                return c;
            }
            // Lost a race with a swap that released c: read the new current.
        }
    }

    /** A loaded version; closes its scorer when the registry and every in-flight call have released it. */
    private static final class Loaded {
        final Path dir;
        final RankerManifest manifest;
        final SavedModelScorer scorer;
        private final AtomicInteger refs = new AtomicInteger(1); // the registry's own reference

        Loaded(final Path dir, final RankerManifest manifest, final SavedModelScorer scorer) {
            this.dir = dir;
            this.manifest = manifest;
            this.scorer = scorer;
        }

        boolean retain() {
            int n;
            do {
                n = refs.get();
                if (n <= 0) {
                    return false;
                }
            } while (!refs.compareAndSet(n, n + 1));
            return true;
        }

        void release() {
            if (refs.decrementAndGet() == 0) {
                scorer.close();
                LOG.info("model {} closed", manifest.version());
            }
        }
    }

    /** The view returned by {@link #scorer()}. */
    private final class CurrentScorer implements Scorer {
        @Override
        public String version() {
            final String v = currentVersion();
            return v == null ? "none" : v;
        }

        @Override
        public List<String> featureNames() {
            final Loaded c = current;
            return c != null ? c.manifest.featureNames() : expectedFeatures != null ? expectedFeatures : List.of();
        }

        @Override
        public List<String> headNames() {
            final Loaded c = current;
            return c != null ? c.manifest.headNames() : List.of();
        }

        @Override
        public int featureCount() {
            final Loaded c = current;
            return c != null ? c.scorer.featureCount() : featureNames().size();
        }

        @Override
        public int headCount() {
            final Loaded c = current;
            return c != null ? c.scorer.headCount() : 0;
        }

        @Override
        public PreRankHead preRankHead() {
            final Loaded c = current;
            return c != null ? c.manifest.preRank() : null;
        }

        @Override
        public void score(final float[] features, final int rows, final float[] out) {
            final Loaded pinned = acquire();
            try {
                pinned.scorer.score(features, rows, out);
            } finally {
                pinned.release();
            }
        }
    }

    /**
     * Configures a {@link ModelRegistry}. Defaults: bundles in {@code <root>/<version>/ranker}, any feature list for
     * the first version (then the serving one's), 2 versions kept, no watching, warm-up with 1, 64, 256 and 1000
     * rows three times, golden tolerance 1e-5, scorers on the CPU with intra-op 1 / inter-op -1.
     *
     * <p>Threading: confined to one thread.
     */
    public static final class Builder {
        private final Path root;
        private String subPath = "ranker";
        private List<String> expectedFeatures;
        private int keepVersions = 2;
        private Duration pollInterval = Duration.ZERO;
        private int[] warmupRows = {1, 64, 256, 1000};
        private int warmupIterations = 3;
        private double goldenTolerance = 1e-5;
        private UnaryOperator<SavedModelScorer.Builder> configure = UnaryOperator.identity();
        private Consumer<ReloadResult> listener = r -> {};

        private Builder(final Path root) {
            this.root = Objects.requireNonNull(root, "root");
        }

        /** Bundle folder inside each version folder (default {@code ranker}; empty = the version folder itself). */
        public Builder subPath(final String value) {
            subPath = Objects.requireNonNull(value, "subPath");
            return this;
        }

        /** The feature columns the engine will send, in order; bundles with another list are rejected. */
        public Builder expectedFeatures(final List<String> value) {
            expectedFeatures = value;
            return this;
        }

        /** Loaded versions to keep, serving one included (default 2: one rollback step). */
        public Builder keepVersions(final int value) {
            if (value < 1 || value > 16) {
                throw new IllegalArgumentException("keepVersions must be 1..16, got " + value);
            }
            keepVersions = value;
            return this;
        }

        /** Poll the folder for a new version this often (default zero: no watching; call reload()). */
        public Builder pollInterval(final Duration value) {
            if (value.isNegative() || (!value.isZero() && value.toMillis() < 10)) {
                throw new IllegalArgumentException("pollInterval must be zero (off) or >= 10 ms, got " + value);
            }
            pollInterval = value;
            return this;
        }

        /** Batch sizes scored during warm-up (default 1, 64, 256, 1000: the engine's shapes). */
        public Builder warmupRows(final int... rows) {
            for (final int r : rows) {
                if (r < 1) {
                    throw new IllegalArgumentException("warmupRows must be >= 1, got " + r);
                }
            }
            warmupRows = rows.clone();
            return this;
        }

        /** Passes over the warm-up sizes (default 3). */
        public Builder warmupIterations(final int value) {
            if (value < 0) {
                throw new IllegalArgumentException("warmupIterations must be >= 0, got " + value);
            }
            warmupIterations = value;
            return this;
        }

        /** Largest absolute difference allowed when replaying {@code golden.json} (default 1e-5). */
        public Builder goldenTolerance(final double value) {
            if (!(value >= 0)) {
                throw new IllegalArgumentException("goldenTolerance must be >= 0, got " + value);
            }
            goldenTolerance = value;
            return this;
        }

        /** Adjusts each scorer before it loads (threads, device), e.g. {@code b -> b.device(Device.GPU)}. */
        public Builder configure(final UnaryOperator<SavedModelScorer.Builder> value) {
            configure = Objects.requireNonNull(value, "configure");
            return this;
        }

        /** Told about every reload outcome that loads or rejects a version (on the reloading thread). */
        public Builder listener(final Consumer<ReloadResult> value) {
            listener = Objects.requireNonNull(value, "listener");
            return this;
        }

        /**
         * Creates the registry and loads the newest valid version, if any (a registry with no version is valid:
         * its scorer fails until one loads).
         */
        public ModelRegistry build() {
            final ModelRegistry registry = new ModelRegistry(this);
            final ReloadResult first = registry.reload();
            if (first.status() == Status.REJECTED) {
                LOG.error("no model serving: {}", first.message());
            }
            return registry;
        }
    }
}
