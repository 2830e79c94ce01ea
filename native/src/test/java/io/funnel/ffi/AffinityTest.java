package io.funnel.ffi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.BitSet;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 30, unit = TimeUnit.SECONDS)
class AffinityTest {

    private static void assumeSupported() {
        assumeTrue(Affinity.isSupported(), "thread affinity is not supported here (needs 64-bit Linux libc)");
        assumeTrue(!Affinity.allowedCpus().isEmpty(), "the process's allowed CPU set could not be read");
    }

    /** Runs {@code body} on a fresh platform thread so that pinning never leaks into the test runner's threads. */
    private static void onFreshThread(final ThrowingRunnable body) throws Exception {
        final AtomicReference<Throwable> failure = new AtomicReference<>();
        final Thread thread = Thread.ofPlatform().name("affinity-test").start(() -> {
            try {
                body.run();
            } catch (final Throwable t) {
                failure.set(t);
            }
        });
        thread.join(TimeUnit.SECONDS.toMillis(20));
        assertFalse(thread.isAlive(), "the pinning thread did not finish");
        if (failure.get() instanceof AssertionError e) {
            throw e;
        }
        if (failure.get() != null) {
            throw new AssertionError("the pinning thread failed", failure.get());
        }
    }

    @FunctionalInterface
    private interface ThrowingRunnable {
        void run() throws Exception;
    }

    @Test
    void pinsAFreshThreadToOneAllowedCpuAndReadsItBackThenRestores() throws Exception {
        assumeSupported();
        final BitSet allowed = Affinity.allowedCpus();
        final int target = allowed.length() - 1; // the highest allowed CPU
        onFreshThread(() -> {
            final BitSet before = new BitSet();
            final NativeResult read = Affinity.readCurrentThread(before);
            assertTrue(read.isOk(), read.message());
            assertFalse(before.isEmpty(), "a thread runs on at least one CPU");

            final NativeResult pinned = Affinity.pinCurrentThread(target);
            assertTrue(pinned.isOk(), pinned.message());
            final BitSet after = new BitSet();
            assertTrue(Affinity.readCurrentThread(after).isOk());
            final BitSet expected = new BitSet();
            expected.set(target);
            assertEquals(expected, after, "the kernel's view of the pinned thread's CPU set");
            final int cpu = Affinity.currentCpu();
            assertTrue(cpu == -1 || cpu == target, "a thread pinned to cpu " + target + " runs on cpu " + cpu);

            final NativeResult restored = Affinity.pinCurrentThread(before);
            assertTrue(restored.isOk(), restored.message());
            final BitSet again = new BitSet();
            assertTrue(Affinity.readCurrentThread(again).isOk());
            assertEquals(before, again, "the thread's CPU set after restoring it");
        });
    }

    @Test
    void pinningOneThreadLeavesOthersAlone() throws Exception {
        assumeSupported();
        final BitSet mine = new BitSet();
        assertTrue(Affinity.readCurrentThread(mine).isOk());
        onFreshThread(() -> assertTrue(Affinity.pinCurrentThread(Affinity.allowedCpus().nextSetBit(0)).isOk()));
        final BitSet stillMine = new BitSet();
        assertTrue(Affinity.readCurrentThread(stillMine).isOk());
        assertEquals(mine, stillMine);
    }

    @Test
    void aCpuOutsideTheAllowedSetIsRejectedNamingIt() {
        final int bad = Math.max(Affinity.allowedCpus().length(), Runtime.getRuntime().availableProcessors()) + 4096;
        final IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> Affinity.pinCurrentThread(bad));
        assertTrue(e.getMessage().contains("cpu " + bad), e.getMessage());

        final IllegalArgumentException negative =
                assertThrows(IllegalArgumentException.class, () -> Affinity.pinCurrentThread(-1));
        assertTrue(negative.getMessage().contains("-1"), negative.getMessage());

        final IllegalArgumentException empty =
                assertThrows(IllegalArgumentException.class, () -> Affinity.pinCurrentThread(new BitSet()));
        assertTrue(empty.getMessage().contains("empty"), empty.getMessage());
    }

    @Test
    void aVirtualThreadIsNotPinned() throws Exception {
        final int cpu = Affinity.allowedCpus().isEmpty() ? 0 : Affinity.allowedCpus().nextSetBit(0);
        final AtomicReference<NativeResult> result = new AtomicReference<>();
        final Thread thread = Thread.ofVirtual().start(() -> result.set(Affinity.pinCurrentThread(cpu)));
        thread.join(TimeUnit.SECONDS.toMillis(20));
        assertEquals(NativeResult.Status.UNSUPPORTED, result.get().status(), result.get().message());
    }

    @Test
    void unsupportedPlatformsAnswerWithAResultNotAnException() {
        // Holds everywhere: on Linux the read succeeds, elsewhere it says why it cannot.
        final BitSet into = new BitSet();
        final NativeResult read = Affinity.readCurrentThread(into);
        assertTrue(read.isOk() || read.status() == NativeResult.Status.UNSUPPORTED, read.message());
        assertFalse(read.message().isBlank());
        assertEquals(read.isOk(), !into.isEmpty());
    }
}
