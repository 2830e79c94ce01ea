package io.funnel.engine.pipeline;

import java.util.concurrent.atomic.AtomicLongArray;

/**
 * The latency budgets of the request path, in microseconds: one per {@link StageId} and a total. Changeable at
 * runtime (the admin API); a change applies from the next request on.
 *
 * <p>Threading: lock-free; any thread may read or change a budget.
 */
public final class Budgets {
    private final AtomicLongArray micros;
    private final int totalIndex;

    /** @param micros one budget per stage in {@link StageId} order, then the total */
    public Budgets(final long[] micros) {
        if (micros.length != StageId.all().length + 1) {
            throw new IllegalArgumentException("need " + (StageId.all().length + 1) + " budgets, got "
                    + micros.length);
        }
        this.micros = new AtomicLongArray(micros);
        this.totalIndex = StageId.all().length;
        validate(micros);
    }

    private static void validate(final long[] values) {
        final long total = values[values.length - 1];
        for (int i = 0; i < values.length; i++) {
            final String name = i == values.length - 1 ? "total" : StageId.all()[i].configKey();
            if (values[i] <= 0) {
                throw new IllegalArgumentException("budget '" + name + "' must be positive, got " + values[i] + "us");
            }
            if (values[i] > total) {
                throw new IllegalArgumentException("budget '" + name + "' (" + values[i]
                        + "us) must not exceed the total (" + total + "us)");
            }
        }
    }

    /** Budget of {@code stage}, microseconds. */
    public long micros(final StageId stage) {
        return micros.get(stage.ordinal());
    }

    /** Total budget of a request, microseconds. */
    public long totalMicros() {
        return micros.get(totalIndex);
    }

    /** A copy of every budget: stages in {@link StageId} order, then the total. */
    public long[] snapshot() {
        final long[] out = new long[totalIndex + 1];
        for (int i = 0; i <= totalIndex; i++) {
            out[i] = micros.get(i);
        }
        return out;
    }

    /**
     * Replaces every budget at once after checking them (positive, none above the total).
     *
     * @throws IllegalArgumentException naming the bad budget
     */
    public synchronized void update(final long[] values) {
        validate(values);
        for (int i = 0; i < values.length; i++) {
            micros.set(i, values[i]);
        }
    }

    /**
     * Nanoseconds that {@code stage} may spend when it starts at {@code nowNs}: its own budget or what is left of the
     * request's, whichever is smaller (possibly zero or negative when the request is already late).
     */
    public long stageBudgetNs(final StageId stage, final long nowNs, final long deadlineNs) {
        return Math.min(micros(stage) * 1_000L, deadlineNs - nowNs);
    }
}
