package io.funnel.model;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * A test scorer: head h of a row is {@code h + sum(row)}; records the rows of each call; can hold its first call
 * until released so that tests can queue requests behind it deterministically.
 */
final class RecordingScorer implements Scorer {
    static final int FEATURES = 3;
    final List<Integer> calls = new CopyOnWriteArrayList<>();
    final CountDownLatch entered = new CountDownLatch(1);
    final CountDownLatch release;
    volatile RuntimeException failWith;

    RecordingScorer(final boolean holdFirstCall) {
        release = new CountDownLatch(holdFirstCall ? 1 : 0);
    }

    @Override
    public String version() {
        return "recording";
    }

    @Override
    public List<String> featureNames() {
        return List.of("a", "b", "c");
    }

    @Override
    public List<String> headNames() {
        return List.of("h0", "h1");
    }

    @Override
    public void score(final float[] features, final int rows, final float[] out) {
        entered.countDown();
        try {
            if (!release.await(30, TimeUnit.SECONDS)) {
                throw new IllegalStateException("test never released the scorer");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
        calls.add(rows);
        if (failWith != null) {
            throw failWith;
        }
        for (int r = 0; r < rows; r++) {
            float sum = 0;
            for (int i = 0; i < FEATURES; i++) {
                sum += features[r * FEATURES + i];
            }
            out[r * 2] = sum;
            out[r * 2 + 1] = 1 + sum;
        }
    }

    /** A block of {@code rows} rows whose row r sums to {@code base + r}. */
    static float[] block(final int rows, final float base) {
        final float[] x = new float[rows * FEATURES];
        for (int r = 0; r < rows; r++) {
            x[r * FEATURES] = base + r;
        }
        return x;
    }

    static float[] expected(final int rows, final float base) {
        final float[] out = new float[rows * 2];
        for (int r = 0; r < rows; r++) {
            out[r * 2] = base + r;
            out[r * 2 + 1] = 1 + base + r;
        }
        return out;
    }
}
