package io.funnel.model;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;
import org.tensorflow.Result;
import org.tensorflow.SavedModelBundle;
import org.tensorflow.Session;
import org.tensorflow.Tensor;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.proto.ConfigProto;
import org.tensorflow.proto.DataType;
import org.tensorflow.proto.GPUOptions;
import org.tensorflow.proto.MetaGraphDef;
import org.tensorflow.proto.SignatureDef;
import org.tensorflow.proto.TensorInfo;
import org.tensorflow.proto.TensorShapeProto;
import org.tensorflow.types.TFloat32;

/**
 * A {@link Scorer} over a TensorFlow SavedModel: one {@code [rows, features]} float input, one {@code [rows]} float
 * output per head, all fetched by signature name in one session call.
 *
 * <p>Build one with {@link #builder(Path)} (a bare SavedModel directory) or {@link #openBundle(Path)} (a ranker
 * bundle directory with a {@link RankerManifest}). Loading validates the signature (input dtype and width, every
 * head present) and fails with a {@link ModelException} that names the path and what is wrong.
 *
 * <p>Input tensors are reused: the scorer keeps one tensor per row bucket (multiples of 16 rows up to 1024, of 256 up
 * to 8192, powers of two above), pads the unused rows (the model is row-wise, so padding does not change the real
 * rows' scores) and copies the request in. A concurrent second caller gets fresh tensors instead of waiting.
 *
 * <p>Threading: safe for concurrent use; TensorFlow runs the graph on the calling thread when
 * {@code interOpThreads == -1}. TensorFlow's thread-pool settings are process-wide in practice: the first session
 * created in the JVM wins, so every session of a process should use the same settings.
 */
public final class SavedModelScorer implements Scorer {
    /** Where the graph runs. */
    public enum Device {
        /** CPU only: GPUs are hidden from the session even when the GPU natives are on the class path. */
        CPU,
        /** GPU when the {@code -Pgpu} natives and a CUDA device are present, soft-placed onto the CPU otherwise. */
        GPU
    }

    // Row buckets: padding rows are scored too, so they are kept small where calls are common. Multiples of 16 up to
    // 1024 rows (at most 15 wasted rows, ~5 us), multiples of 256 up to 8192 (micro-batches; a power of two would
    // waste up to half of a 1025-row batch), powers of two above.
    private static final int SMALL_BUCKET_ROWS = 16;
    private static final int SMALL_BUCKET_LIMIT = 1024;
    private static final int MEDIUM_BUCKET_ROWS = 256;
    private static final int MEDIUM_BUCKET_LIMIT = 8192;
    private static final int SMALL_BUCKETS = SMALL_BUCKET_LIMIT / SMALL_BUCKET_ROWS;
    private static final int MEDIUM_BUCKETS = (MEDIUM_BUCKET_LIMIT - SMALL_BUCKET_LIMIT) / MEDIUM_BUCKET_ROWS;
    private static final int MAX_CACHED_BUCKET_ROWS = 1 << 16;

    private final Path path;
    private final PreRankHead preRankHead;
    private final String version;
    private final List<String> featureNames;
    private final List<String> headNames;
    private final SavedModelBundle bundle;
    private final Session session;
    private final String inputName;
    private final String[] outputNames;
    private final int featureCount;
    private final int headCount;
    private final AtomicBoolean scratchBusy = new AtomicBoolean();
    private final AtomicBoolean closed = new AtomicBoolean();
    // Guarded by scratchBusy.
    private final TFloat32[] inputByBucket = new TFloat32[bucketIndex(MAX_CACHED_BUCKET_ROWS) + 1];
    private float[] headScratch = new float[0];

    private SavedModelScorer(final Builder b) {
        this.path = b.path;
        this.preRankHead = b.preRankHead;
        if (!Files.isDirectory(path)) {
            throw ModelException.at(path, "SavedModel directory does not exist");
        }
        if (!Files.isRegularFile(path.resolve("saved_model.pb"))) {
            throw ModelException.at(path, "not a SavedModel: saved_model.pb is missing");
        }
        final SavedModelBundle loaded;
        try {
            loaded = SavedModelBundle.loader(path.toString())
                    .withTags(b.tag)
                    .withConfigProto(b.configProto())
                    .load();
        } catch (RuntimeException e) {
            throw ModelException.at(path, "TensorFlow cannot load the SavedModel with tag '" + b.tag + "'", e);
        }
        try {
            final MetaGraphDef meta = loaded.metaGraphDef();
            final SignatureDef sig = meta.getSignatureDefMap().get(b.signatureKey);
            if (sig == null) {
                throw ModelException.at(path, "signature '" + b.signatureKey + "' not found; the model has "
                        + meta.getSignatureDefMap().keySet());
            }
            final Map<String, TensorInfo> inputs = sig.getInputsMap();
            final String inputKey = b.inputKey != null ? b.inputKey
                    : inputs.size() == 1 ? inputs.keySet().iterator().next() : "features";
            final TensorInfo input = inputs.get(inputKey);
            if (input == null) {
                throw ModelException.at(path, "signature '" + b.signatureKey + "' has no input '" + inputKey
                        + "'; its inputs are " + inputs.keySet());
            }
            if (input.getDtype() != DataType.DT_FLOAT) {
                throw ModelException.at(path, "input '" + inputKey + "' must be DT_FLOAT, is " + input.getDtype());
            }
            final TensorShapeProto shape = input.getTensorShape();
            if (shape.getUnknownRank() || shape.getDimCount() != 2 || shape.getDim(1).getSize() <= 0) {
                throw ModelException.at(path, "input '" + inputKey
                        + "' must have shape [rows, features] with a known feature count, has " + describe(shape));
            }
            this.featureCount = (int) shape.getDim(1).getSize();
            if (b.featureNames != null && b.featureNames.size() != featureCount) {
                throw ModelException.at(path, "the model takes " + featureCount + " features per row but "
                        + b.featureNames.size() + " feature names were given: " + b.featureNames);
            }
            this.featureNames = b.featureNames != null ? List.copyOf(b.featureNames) : defaultFeatureNames(featureCount);
            final Map<String, TensorInfo> outputs = sig.getOutputsMap();
            final List<String> heads = b.headNames != null ? List.copyOf(b.headNames)
                    : outputs.keySet().stream().sorted().toList();
            this.headNames = heads;
            this.headCount = heads.size();
            this.outputNames = new String[headCount];
            for (int h = 0; h < headCount; h++) {
                final TensorInfo out = outputs.get(heads.get(h));
                if (out == null) {
                    throw ModelException.at(path, "signature '" + b.signatureKey + "' has no output '"
                            + heads.get(h) + "'; its outputs are " + outputs.keySet());
                }
                if (out.getDtype() != DataType.DT_FLOAT) {
                    throw ModelException.at(path, "output '" + heads.get(h) + "' must be DT_FLOAT, is "
                            + out.getDtype());
                }
                outputNames[h] = out.getName();
            }
            this.inputName = input.getName();
            this.version = b.version != null ? b.version : path.toAbsolutePath().normalize().toString();
            this.bundle = loaded;
            this.session = loaded.session();
        } catch (RuntimeException e) {
            loaded.close();
            throw e;
        }
    }

    /**
     * A builder for a bare SavedModel directory (the one holding {@code saved_model.pb}).
     *
     * @param savedModelDir the SavedModel directory
     */
    public static Builder builder(final Path savedModelDir) {
        return new Builder(savedModelDir);
    }

    /**
     * Opens a ranker bundle directory: reads its {@link RankerManifest} and loads the SavedModel it points to with
     * the manifest's version, feature names, signature, input and heads, on the CPU with intra-op 1 / inter-op -1.
     *
     * @throws ModelException naming the path when the manifest or the model is missing, corrupt or inconsistent
     */
    public static SavedModelScorer openBundle(final Path bundleDir) {
        return forManifest(bundleDir, RankerManifest.read(bundleDir)).build();
    }

    /** A builder preset from a manifest read from {@code bundleDir}; change threads or device before building. */
    public static Builder forManifest(final Path bundleDir, final RankerManifest manifest) {
        return builder(bundleDir.resolve(manifest.savedModel()))
                .version(manifest.version())
                .featureNames(manifest.featureNames())
                .headNames(manifest.headNames())
                .signatureKey(manifest.signature())
                .inputKey(manifest.input())
                .preRankHead(manifest.preRank());
    }

    @Override
    public PreRankHead preRankHead() {
        return preRankHead;
    }

    @Override
    public String version() {
        return version;
    }

    @Override
    public List<String> featureNames() {
        return featureNames;
    }

    @Override
    public List<String> headNames() {
        return headNames;
    }

    @Override
    public int featureCount() {
        return featureCount;
    }

    @Override
    public int headCount() {
        return headCount;
    }

    /** The SavedModel directory this scorer was loaded from. */
    public Path path() {
        return path;
    }

    @Override
    public void score(final float[] features, final int rows, final float[] out) {
        if (rows <= 0) {
            if (rows == 0) {
                return;
            }
            throw new IllegalArgumentException("rows must be >= 0, got " + rows);
        }
        final int f = featureCount;
        final int heads = headCount;
        if (features.length < rows * f) {
            throw new IllegalArgumentException("features holds " + features.length + " values, need rows*features = "
                    + rows + "*" + f);
        }
        if (out.length < rows * heads) {
            throw new IllegalArgumentException("out holds " + out.length + " values, need rows*heads = " + rows + "*"
                    + heads);
        }
        if (closed.get()) {
            throw new ModelException(path + ": scorer " + version + " is closed");
        }
        final boolean owner = scratchBusy.compareAndSet(false, true);
        try {
            final int padded = bucketRows(rows);
            TFloat32 input;
            if (owner && padded <= MAX_CACHED_BUCKET_ROWS) {
                final int bucket = bucketIndex(padded);
                input = inputByBucket[bucket];
                if (input == null) {
                    input = TFloat32.tensorOf(Shape.of(padded, f));
                    inputByBucket[bucket] = input;
                }
            } else {
                input = null;
            }
            if (input != null) {
                input.asRawTensor().data().asFloats().write(features, 0, rows * f);
                run(input, rows, out, owner);
            } else {
                try (TFloat32 fresh = TFloat32.tensorOf(Shape.of(rows, f))) {
                    fresh.asRawTensor().data().asFloats().write(features, 0, rows * f);
                    run(fresh, rows, out, owner);
                }
            }
        } finally {
            if (owner) {
                scratchBusy.set(false);
            }
        }
    }

    private void run(final TFloat32 input, final int rows, final float[] out, final boolean owner) {
        final Session.Runner runner = session.runner().feed(inputName, input);
        for (final String name : outputNames) {
            runner.fetch(name);
        }
        final int heads = headCount;
        try (Result result = runner.run()) {
            float[] scratch = owner ? headScratch : new float[rows];
            if (scratch.length < rows) {
                scratch = new float[Math.max(rows, SMALL_BUCKET_ROWS)];
                headScratch = scratch;
            }
            for (int h = 0; h < heads; h++) {
                final Tensor t = result.get(h);
                final long size = t.shape().size();
                if (size < rows) {
                    throw new ModelException(path + ": output '" + headNames.get(h) + "' has " + size
                            + " values for " + rows + " rows; every head must be a [rows] vector");
                }
                t.asRawTensor().data().asFloats().read(scratch, 0, rows);
                for (int r = 0; r < rows; r++) {
                    out[r * heads + h] = scratch[r];
                }
            }
        }
    }

    /**
     * Closes the session and the cached tensors. A scorer shared with in-flight calls must be retired through
     * {@link ModelRegistry}, which closes it only after they finish.
     */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        // Wait out a caller that holds the scratch tensors (a call in flight on another thread).
        while (!scratchBusy.compareAndSet(false, true)) {
            Thread.onSpinWait();
        }
        for (int i = 0; i < inputByBucket.length; i++) {
            if (inputByBucket[i] != null) {
                inputByBucket[i].close();
                inputByBucket[i] = null;
            }
        }
        bundle.close();
    }

    @Override
    public String toString() {
        return "SavedModelScorer[" + version + ", " + featureCount + " features, heads " + headNames + ", " + path
                + "]";
    }

    static int bucketRows(final int rows) {
        if (rows <= SMALL_BUCKET_LIMIT) {
            return (rows + SMALL_BUCKET_ROWS - 1) / SMALL_BUCKET_ROWS * SMALL_BUCKET_ROWS;
        }
        if (rows <= MEDIUM_BUCKET_LIMIT) {
            return (rows + MEDIUM_BUCKET_ROWS - 1) / MEDIUM_BUCKET_ROWS * MEDIUM_BUCKET_ROWS;
        }
        return Integer.highestOneBit(rows - 1) << 1;
    }

    static int bucketIndex(final int paddedRows) {
        if (paddedRows <= SMALL_BUCKET_LIMIT) {
            return paddedRows / SMALL_BUCKET_ROWS - 1; // 16 -> 0 ... 1024 -> 63
        }
        if (paddedRows <= MEDIUM_BUCKET_LIMIT) {
            // 1280 -> 64 ... 8192 -> 91
            return SMALL_BUCKETS - 1 + (paddedRows - SMALL_BUCKET_LIMIT) / MEDIUM_BUCKET_ROWS;
        }
        // 16384 -> 92, 32768 -> 93, 65536 -> 94
        return SMALL_BUCKETS + MEDIUM_BUCKETS + Integer.numberOfTrailingZeros(paddedRows)
                - Integer.numberOfTrailingZeros(MEDIUM_BUCKET_LIMIT) - 1;
    }

    private static List<String> defaultFeatureNames(final int count) {
        final List<String> names = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            names.add("f" + i);
        }
        return List.copyOf(names);
    }

    private static String describe(final TensorShapeProto shape) {
        if (shape.getUnknownRank()) {
            return "unknown rank";
        }
        final StringBuilder sb = new StringBuilder("[");
        for (int i = 0; i < shape.getDimCount(); i++) {
            sb.append(i == 0 ? "" : ", ").append(shape.getDim(i).getSize());
        }
        return sb.append(']').toString();
    }

    /**
     * Configures a {@link SavedModelScorer}. Defaults: tag {@code serve}, signature {@code serving_default}, the
     * signature's only input (or {@code features}), every output as a head in name order, CPU, intra-op 1,
     * inter-op -1 (run on the caller's thread).
     *
     * <p>Threading: confined to one thread.
     */
    public static final class Builder {
        private final Path path;
        private String tag = SavedModelBundle.DEFAULT_TAG;
        private String signatureKey = "serving_default";
        private String inputKey;
        private PreRankHead preRankHead;
        private String version;
        private List<String> featureNames;
        private List<String> headNames;
        private int intraOpThreads = 1;
        private int interOpThreads = -1;
        private Device device = Device.CPU;

        private Builder(final Path path) {
            this.path = Objects.requireNonNull(path, "path");
        }

        /** MetaGraph tag to load (default {@code serve}). */
        public Builder tag(final String value) {
            tag = Objects.requireNonNull(value, "tag");
            return this;
        }

        /** Signature key (default {@code serving_default}). */
        public Builder signatureKey(final String value) {
            signatureKey = Objects.requireNonNull(value, "signatureKey");
            return this;
        }

        /** The pre-rank head trained with this model ({@link Scorer#preRankHead()}; default none). */
        public Builder preRankHead(final PreRankHead value) {
            preRankHead = value;
            return this;
        }

        /** Signature input key of the feature matrix (default: the only input, else {@code features}). */
        public Builder inputKey(final String value) {
            inputKey = value;
            return this;
        }

        /** Version reported by {@link Scorer#version()} (default: the directory path). */
        public Builder version(final String value) {
            version = value;
            return this;
        }

        /** Feature names, checked against the input width (default {@code f0..f<n-1>}). */
        public Builder featureNames(final List<String> value) {
            featureNames = value;
            return this;
        }

        /** Signature output keys to fetch, in output order (default: every output, sorted by name). */
        public Builder headNames(final List<String> value) {
            if (value != null && value.isEmpty()) {
                throw new IllegalArgumentException("headNames must not be empty");
            }
            headNames = value;
            return this;
        }

        /** TensorFlow intra-op threads (default 1: one thread per kernel). */
        public Builder intraOpThreads(final int value) {
            if (value < 0) {
                throw new IllegalArgumentException("intraOpThreads must be >= 0 (0 = TensorFlow's choice), got "
                        + value);
            }
            intraOpThreads = value;
            return this;
        }

        /** TensorFlow inter-op threads (default -1: run ops on the caller's thread; 0 = TensorFlow's choice). */
        public Builder interOpThreads(final int value) {
            if (value < -1) {
                throw new IllegalArgumentException("interOpThreads must be >= -1, got " + value);
            }
            interOpThreads = value;
            return this;
        }

        /** Device placement (default {@link Device#CPU}). {@link Device#GPU} needs the {@code -Pgpu} natives. */
        public Builder device(final Device value) {
            device = Objects.requireNonNull(value, "device");
            return this;
        }

        ConfigProto configProto() {
            final ConfigProto.Builder config = ConfigProto.newBuilder()
                    .setIntraOpParallelismThreads(intraOpThreads)
                    .setInterOpParallelismThreads(interOpThreads);
            if (device == Device.CPU) {
                config.putDeviceCount("GPU", 0);
            } else {
                config.setAllowSoftPlacement(true).setGpuOptions(GPUOptions.newBuilder().setAllowGrowth(true));
            }
            return config.build();
        }

        /**
         * Loads and validates the model.
         *
         * @throws ModelException naming the path and what is wrong (missing, corrupt, incompatible signature)
         */
        public SavedModelScorer build() {
            return new SavedModelScorer(this);
        }
    }
}
