package io.funnel.loadtest;

import io.funnel.loadtest.spi.LoadRequest;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * What one step of a scenario sends: a factory of {@link LoadRequest}s plus the checks its answers must pass. The
 * name groups requests in reports and assertions ({@code recommend.p99<5ms}). Immutable; the factory runs on I/O
 * threads.
 */
public final class RequestSpec {
    /** Builds the request of one virtual user. */
    @FunctionalInterface
    public interface Factory {
        /** The request for {@code userId}, drawing any other value from {@code random}. */
        LoadRequest build(long userId, SplittableRandom random);
    }

    private final String name;
    private final Factory factory;
    private final List<Check> checks;

    private RequestSpec(final String name, final Factory factory, final List<Check> checks) {
        if (name == null || !name.matches("[a-z][a-z0-9_]*")) {
            throw new IllegalArgumentException("request name must match [a-z][a-z0-9_]*, got '" + name + "'");
        }
        this.name = name;
        this.factory = factory;
        this.checks = List.copyOf(checks);
    }

    /** {@code count} recommendations for the virtual user, with a context from {@code context}. */
    public static RequestSpec recommend(final int count, final ContextFeeder context) {
        if (count < 1 || count > 500) {
            throw new IllegalArgumentException("recommend count must be 1..500, got " + count);
        }
        return new RequestSpec("recommend",
                (user, r) -> new LoadRequest.Recommend(user, count, context.category(r)), List.of());
    }

    /**
     * One feedback event of {@code kind} by the virtual user on an item drawn uniformly from
     * {@code firstItem..firstItem+items-1}.
     */
    public static RequestSpec event(final String kind, final long firstItem, final int items) {
        if (!List.of("view", "click", "like", "purchase").contains(kind)) {
            throw new IllegalArgumentException("event type must be view, click, like or purchase, got '" + kind + "'");
        }
        if (items < 1) {
            throw new IllegalArgumentException("event items must be at least 1, got " + items);
        }
        return new RequestSpec("event", (user, r) -> new LoadRequest.Event(user, firstItem + r.nextInt(items), kind),
                List.of());
    }

    /** A liveness probe: the protocol's floor. */
    public static RequestSpec ping() {
        return new RequestSpec("ping", (user, r) -> LoadRequest.Ping.INSTANCE, List.of());
    }

    /** A request built by {@code factory}, reported under {@code name}. */
    public static RequestSpec of(final String name, final Factory factory) {
        return new RequestSpec(name, factory, List.of());
    }

    /** The same requests reported under another name. */
    public RequestSpec named(final String newName) {
        return new RequestSpec(newName, factory, checks);
    }

    /** The same requests with one more check on their answers. */
    public RequestSpec check(final Check check) {
        final List<Check> more = new ArrayList<>(checks);
        more.add(check);
        return new RequestSpec(name, factory, more);
    }

    /** The name in reports. */
    public String name() {
        return name;
    }

    /** The checks, in order. */
    public List<Check> checks() {
        return checks;
    }

    /** Builds the request of one virtual user; called on an I/O thread. */
    public LoadRequest build(final long userId, final SplittableRandom random) {
        return factory.build(userId, random);
    }
}
