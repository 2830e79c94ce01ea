package io.funnel.engine.server;

import io.funnel.ffi.Affinity;
import io.funnel.ffi.NativeResult;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Pins the calling thread to the CPUs configured for its role ({@code cpus:} in the config). A refusal or an
 * unsupported platform is logged once as a warning and the thread runs unpinned: pinning is an optimisation,
 * never a reason to stop serving.
 */
public final class ThreadPinning {
    private static final Logger LOG = LoggerFactory.getLogger(ThreadPinning.class);

    private ThreadPinning() {}

    /**
     * Pins the current thread to {@code cpus} when the list is not empty.
     *
     * @param role how the logs name the thread's role, e.g. {@code event loop}
     * @return whether the thread is now pinned
     */
    public static boolean pin(final String role, final List<Integer> cpus) {
        if (cpus == null || cpus.isEmpty()) {
            return false;
        }
        final int[] ids = cpus.stream().mapToInt(Integer::intValue).toArray();
        final NativeResult result = Affinity.pinCurrentThread(ids);
        if (result.status() == NativeResult.Status.OK) {
            LOG.info("pinned {} thread {} to CPUs {}", role, Thread.currentThread().getName(), cpus);
            return true;
        }
        LOG.warn("could not pin {} thread {} to CPUs {}: {}; it runs unpinned", role,
                Thread.currentThread().getName(), cpus, result.message());
        return false;
    }
}
