package io.funnel.model.train;

import java.util.List;
import java.util.Objects;

/**
 * Trains the multi-task ranking model with TensorFlow Java: a DCN-v2 cross network beside a small deep network over
 * the standardised dense feature matrix, shared by two heads in the ESMM arrangement:
 *
 * <pre>
 *   z        = (x - mean) / std                      standardisation folded into the graph
 *   cross_l  = z * (cross_{l-1} W_l + b_l) + cross_{l-1}   DCN-v2 cross layers, cross_0 = z
 *   deep     = relu(relu(z W1 + b1) W2 + b2)
 *   shared   = concat(cross_L, deep)
 *   p_click      = sigmoid(shared w_c + b_c)
 *   p_like       = sigmoid(relu(shared U + c) w_l + b_l)     p(like | click)
 *   p_click_like = p_click * p_like                          trained on every impression (ESMM)
 * </pre>
 *
 * The loss is the cross-entropy of {@code p_click} against the click label plus the cross-entropy of
 * {@code p_click_like} against {@code click AND like}, so the like head learns from every impression without the
 * sample-selection bias of training on clicks only.
 *
 * <p>Training is seeded: weights are initialised from a Java {@link java.util.SplittableRandom}, mini-batches are
 * drawn in a seeded order, and the session runs every op in the calling thread (intra-op 1, inter-op -1), so two
 * fits of the same rows with one seed give bitwise identical models (tested). Because TensorFlow
 * keeps the thread settings of the first session of the process, train before serving in the same JVM or accept
 * that serving inherits one thread.
 *
 * <p>Threading: a trainer is confined to one thread; {@link #fit} blocks for the whole training.
 */
public final class RankerTrainer {
    int hidden = 32;
    int crossLayers = 2;
    int epochs = 8;
    int batchSize = 256;
    float learningRate = 0.005f;
    float validationFraction = 0.2f;
    long seed = 42;
    boolean progress;
    int goldenRows = 8;

    /** Width of the deep layers and of the like tower (default 32). */
    public RankerTrainer hidden(final int value) {
        if (value < 1 || value > 4096) {
            throw new IllegalArgumentException("hidden must be 1..4096, got " + value);
        }
        hidden = value;
        return this;
    }

    /** Number of DCN-v2 cross layers (default 2; 0 leaves only the deep network). */
    public RankerTrainer crossLayers(final int value) {
        if (value < 0 || value > 8) {
            throw new IllegalArgumentException("crossLayers must be 0..8, got " + value);
        }
        crossLayers = value;
        return this;
    }

    /** Passes over the training rows (default 8). */
    public RankerTrainer epochs(final int value) {
        if (value < 1) {
            throw new IllegalArgumentException("epochs must be positive, got " + value);
        }
        epochs = value;
        return this;
    }

    /** Rows per Adam step (default 256). */
    public RankerTrainer batchSize(final int value) {
        if (value < 1) {
            throw new IllegalArgumentException("batchSize must be positive, got " + value);
        }
        batchSize = value;
        return this;
    }

    /** Adam learning rate (default 0.005). */
    public RankerTrainer learningRate(final float value) {
        if (!(value > 0)) {
            throw new IllegalArgumentException("learningRate must be positive, got " + value);
        }
        learningRate = value;
        return this;
    }

    /** Share of rows held out (seeded) for the AUC per head reported in the manifest (default 0.2; 0 = none). */
    public RankerTrainer validationFraction(final float value) {
        if (!(value >= 0 && value < 1)) {
            throw new IllegalArgumentException("validationFraction must be in [0, 1), got " + value);
        }
        validationFraction = value;
        return this;
    }

    /** Seed of initial weights, split and mini-batch order (default 42). */
    public RankerTrainer seed(final long value) {
        seed = value;
        return this;
    }

    /** Shows a console progress bar while training (default off). */
    public RankerTrainer progress(final boolean value) {
        progress = value;
        return this;
    }

    /** Rows written to {@code golden.json} by {@link TrainedRanker#export} (default 8). */
    public RankerTrainer goldenRows(final int value) {
        if (value < 0) {
            throw new IllegalArgumentException("goldenRows must be >= 0, got " + value);
        }
        goldenRows = value;
        return this;
    }

    /**
     * Trains a model.
     *
     * @param featureNames names of the {@code x} columns, in order; they become the manifest's feature list
     * @param x row-major dense features, {@code rows * featureNames.size()} values (any scale: standardised inside)
     * @param click 1 where the impression was clicked, else 0; one per row
     * @param like 1 where the item was liked (only meaningful where clicked), else 0; one per row
     * @param rows number of rows (at least 10)
     * @return the trained model, holding an open forward session; close it (or export then close it)
     */
    public TrainedRanker fit(final List<String> featureNames, final float[] x, final float[] click, final float[] like,
            final int rows) {
        Objects.requireNonNull(featureNames, "featureNames");
        final int f = featureNames.size();
        if (f == 0) {
            throw new IllegalArgumentException("featureNames must not be empty");
        }
        if (rows < 10) {
            throw new IllegalArgumentException("need at least 10 rows, got " + rows);
        }
        if (x.length < (long) rows * f) {
            throw new IllegalArgumentException("x holds " + x.length + " values, need rows*features = " + rows + "*"
                    + f);
        }
        if (click.length < rows || like.length < rows) {
            throw new IllegalArgumentException("need one click and one like label per row: rows=" + rows
                    + ", click.length=" + click.length + ", like.length=" + like.length);
        }
        return RankerGraph.train(this, List.copyOf(featureNames), x, click, like, rows);
    }
}
