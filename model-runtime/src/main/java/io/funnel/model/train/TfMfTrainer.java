package io.funnel.model.train;

import java.util.List;
import java.util.SplittableRandom;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.op.Op;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.op.core.Variable;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;

/**
 * Retrieval embeddings trained with TensorFlow Java: matrix factorisation with the BPR loss
 * ({@code -log sigmoid(u . (v_pos - v_neg))} plus L2) over mini-batches of (user, clicked item, sampled item)
 * triples, with sparse Adagrad: the gradient is written out in the graph and only the rows of the batch are updated
 * ({@code SparseApplyAdagradV2}), so a step costs in proportion to the batch, not to the size of the tables. (Dense
 * Adam through {@code minimize} updated every row at every step: 143 s for a 800,000-event log of 50,000 users and
 * 100,000 items, against 4.5 s now.) The result is the same {@link BprTrainer.Embeddings} as the plain-Java
 * {@link BprTrainer}: item vectors for the ANN channel, user vectors for the feature store. Weights and samples come
 * from a seeded Java RNG and the session runs every op in the calling thread (intra-op 1, inter-op -1): two fits
 * with one seed are bitwise identical, also across JVMs (tested; with an inter-op pool of one thread they differed by
 * ~5%).
 *
 * <p>Threading: confined to one thread; {@link #fit} blocks for the whole training.
 */
public final class TfMfTrainer {
    private int dimension = 32;
    private int epochs = 5;
    private int batchSize = 512;
    private float learningRate = 0.05f;
    private float l2 = 1e-4f;
    private long seed = 7;

    /** Embedding dimension (default 32). */
    public TfMfTrainer dimension(final int value) {
        if (value < 1 || value > 1024) {
            throw new IllegalArgumentException("dimension must be 1..1024, got " + value);
        }
        dimension = value;
        return this;
    }

    /** Passes over the interactions (default 5). */
    public TfMfTrainer epochs(final int value) {
        if (value < 1) {
            throw new IllegalArgumentException("epochs must be positive, got " + value);
        }
        epochs = value;
        return this;
    }

    /** Triples per step (default 512). */
    public TfMfTrainer batchSize(final int value) {
        if (value < 1) {
            throw new IllegalArgumentException("batchSize must be positive, got " + value);
        }
        batchSize = value;
        return this;
    }

    /** Adagrad learning rate (default 0.05; accumulators start at 0.1). */
    public TfMfTrainer learningRate(final float value) {
        if (!(value > 0)) {
            throw new IllegalArgumentException("learningRate must be positive, got " + value);
        }
        learningRate = value;
        return this;
    }

    /** L2 penalty on the embeddings of each triple (default 1e-4). */
    public TfMfTrainer l2(final float value) {
        if (value < 0) {
            throw new IllegalArgumentException("l2 must be >= 0, got " + value);
        }
        l2 = value;
        return this;
    }

    /** Seed of initialisation and sampling (default 7). */
    public TfMfTrainer seed(final long value) {
        seed = value;
        return this;
    }

    /**
     * Fits embeddings.
     *
     * @param users user index (0..userCount-1) of each interaction
     * @param items item ordinal (0..itemCount-1) of each interaction
     * @param count number of interactions
     */
    public BprTrainer.Embeddings fit(final int[] users, final int[] items, final int count, final int userCount,
            final int itemCount) {
        if (count < 1 || users.length < count || items.length < count || userCount < 1 || itemCount < 2) {
            throw new IllegalArgumentException("need count >= 1 interactions, userCount >= 1, itemCount >= 2: count="
                    + count + ", userCount=" + userCount + ", itemCount=" + itemCount);
        }
        final int d = dimension;
        final SplittableRandom random = new SplittableRandom(seed);
        final float scale = (float) (0.1 / Math.sqrt(d));
        final float[] u0 = new float[userCount * d];
        final float[] v0 = new float[itemCount * d];
        for (int i = 0; i < u0.length; i++) {
            u0[i] = (float) (random.nextGaussian() * scale);
        }
        for (int i = 0; i < v0.length; i++) {
            v0[i] = (float) (random.nextGaussian() * scale);
        }
        try (Graph graph = new Graph(); Session session = new Session(graph, RankerGraph.deterministicConfig())) {
            final Ops tf = Ops.create(graph);
            final Ops init = tf.withInitScope();
            final Variable<TFloat32> userEmb = init.withName("user_embedding").variable(Shape.of(userCount, d),
                    TFloat32.class);
            init.assign(userEmb, init.constant(Shape.of(userCount, d), DataBuffers.of(u0)));
            final Variable<TFloat32> itemEmb = init.withName("item_embedding").variable(Shape.of(itemCount, d),
                    TFloat32.class);
            init.assign(itemEmb, init.constant(Shape.of(itemCount, d), DataBuffers.of(v0)));
            final Placeholder<TInt32> u = tf.withName("user").placeholder(TInt32.class,
                    Placeholder.shape(Shape.of(-1)));
            final Placeholder<TInt32> p = tf.withName("pos").placeholder(TInt32.class,
                    Placeholder.shape(Shape.of(-1)));
            final Placeholder<TInt32> n = tf.withName("neg").placeholder(TInt32.class,
                    Placeholder.shape(Shape.of(-1)));
            final Operand<TInt32> axis0 = tf.constant(0);
            final Operand<TFloat32> eu = tf.gather(userEmb, u, axis0);
            final Operand<TFloat32> ep = tf.gather(itemEmb, p, axis0);
            final Operand<TFloat32> en = tf.gather(itemEmb, n, axis0);
            final int b = Math.min(batchSize, count);
            // Per triple: loss = softplus(-x) + l2 * (|eu|^2 + |ep|^2 + |en|^2), x = eu . (ep - en). Its gradient by
            // hand: dloss/dx = -sigmoid(-x), then the chain rule through x and the L2 term. Summed over the batch
            // (not averaged), so that a row's step does not shrink with the batch size, as in per-triple SGD.
            final Operand<TFloat32> diff = tf.math.sub(ep, en);
            final Operand<TFloat32> x = tf.sum(tf.math.mul(eu, diff), tf.constant(1));
            final Operand<TFloat32> g = tf.expandDims(tf.math.neg(tf.math.sigmoid(tf.math.neg(x))), tf.constant(1));
            final Operand<TFloat32> twoL2 = tf.constant(2 * l2);
            final Operand<TFloat32> gradU = tf.math.add(tf.math.mul(g, diff), tf.math.mul(twoL2, eu));
            final Operand<TFloat32> gradP = tf.math.add(tf.math.mul(g, eu), tf.math.mul(twoL2, ep));
            final Operand<TFloat32> gradN = tf.math.add(tf.math.mul(tf.math.neg(g), eu), tf.math.mul(twoL2, en));
            final Variable<TFloat32> userAcc = init.withName("user_accumulator").variable(Shape.of(userCount, d),
                    TFloat32.class);
            init.assign(userAcc, init.fill(init.constant(new long[] {userCount, d}), init.constant(0.1f)));
            final Variable<TFloat32> itemAcc = init.withName("item_accumulator").variable(Shape.of(itemCount, d),
                    TFloat32.class);
            init.assign(itemAcc, init.fill(init.constant(new long[] {itemCount, d}), init.constant(0.1f)));
            final Operand<TFloat32> lr = tf.constant(learningRate);
            final Operand<TFloat32> epsilon = tf.constant(1e-7f);
            // One item update for positives and negatives together: rows repeated in a batch are applied in turn.
            final Op updateUsers = tf.train.sparseApplyAdagrad(userEmb, userAcc, lr, epsilon, gradU, u);
            final Op updateItems = tf.train.sparseApplyAdagrad(itemEmb, itemAcc, lr, epsilon,
                    tf.concat(List.of(gradP, gradN), axis0), tf.concat(List.of(p, n), axis0));
            session.initialize();
            final int[] bu = new int[b];
            final int[] bp = new int[b];
            final int[] bn = new int[b];
            final int steps = (count + b - 1) / b * epochs;
            for (int step = 0; step < steps; step++) {
                for (int k = 0; k < b; k++) {
                    final int e = random.nextInt(count);
                    bu[k] = users[e];
                    bp[k] = items[e];
                    // Uniform negatives, as in BprTrainer: the vectors keep the popularity signal. (Negatives drawn
                    // in proportion to popularity debias it away, and retrieval recall on MovieLens fell to 0.002.)
                    int neg = random.nextInt(itemCount);
                    if (neg == bp[k]) {
                        neg = (neg + 1) % itemCount;
                    }
                    bn[k] = neg;
                }
                try (TInt32 tu = TInt32.tensorOf(Shape.of(b), DataBuffers.of(bu, true, false));
                        TInt32 tp = TInt32.tensorOf(Shape.of(b), DataBuffers.of(bp, true, false));
                        TInt32 tn = TInt32.tensorOf(Shape.of(b), DataBuffers.of(bn, true, false))) {
                    session.runner().feed(u, tu).feed(p, tp).feed(n, tn).addTarget(updateUsers)
                            .addTarget(updateItems).run().close();
                }
            }
            final float[] userOut = new float[userCount * d];
            final float[] itemOut = new float[itemCount * d];
            try (Result r = session.runner().fetch(userEmb).fetch(itemEmb).run()) {
                r.get(0).asRawTensor().data().asFloats().read(userOut, 0, userOut.length);
                r.get(1).asRawTensor().data().asFloats().read(itemOut, 0, itemOut.length);
            }
            return new BprTrainer.Embeddings(d, userCount, itemCount, userOut, itemOut);
        }
    }
}
