package io.funnel.ffi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Set;
import org.junit.jupiter.api.Test;

class MemoryTest {
    private static final int EPERM = 1;
    private static final int EAGAIN = 11;
    private static final int ENOMEM = 12;
    private static final int EINVAL = 22;

    private static void assumeSupported() {
        assumeTrue(Memory.isSupported(), "madvise/mlock are not supported here (needs 64-bit Linux libc)");
    }

    @Test
    void pageSizeIsAPowerOfTwo() {
        final long page = Memory.pageSize();
        assertTrue(page >= 4096 && Long.bitCount(page) == 1, "page size " + page);
    }

    @Test
    void mlockOfASmallSegmentIsOkOrANamedRefusal() {
        assumeSupported();
        try (Arena arena = Arena.ofConfined()) {
            final MemorySegment segment = arena.allocate(4 * Memory.pageSize(), Memory.pageSize());
            final NativeResult locked = Memory.mlock(segment);
            if (locked.isOk()) {
                final NativeResult unlocked = Memory.munlock(segment);
                assertTrue(unlocked.isOk(), unlocked.message());
            } else {
                // RLIMIT_MEMLOCK or no permission: a warning result with the errno named.
                assertEquals(NativeResult.Status.REFUSED, locked.status(), locked.message());
                assertTrue(Set.of(EPERM, EAGAIN, ENOMEM).contains(locked.errno()), locked.message());
                assertTrue(locked.message().matches(".*E(PERM|AGAIN|NOMEM).*"), locked.message());
            }
        }
    }

    @Test
    void madviseWillNeedIsOkEvenOnAnUnalignedSlice() {
        assumeSupported();
        try (Arena arena = Arena.ofConfined()) {
            final MemorySegment segment = arena.allocate(3 * Memory.pageSize() + 17);
            final NativeResult whole = Memory.madvise(segment, Memory.MADV_WILLNEED);
            assertTrue(whole.isOk(), whole.message());
            final NativeResult slice = Memory.madvise(segment.asSlice(101, Memory.pageSize()), Memory.MADV_WILLNEED);
            assertTrue(slice.isOk(), slice.message());
            assertTrue(slice.message().contains("MADV_WILLNEED"), slice.message());
        }
    }

    @Test
    void madviseHugePageIsOkOrEinvalWhenThpIsCompiledOut() {
        assumeSupported();
        try (Arena arena = Arena.ofConfined()) {
            final MemorySegment segment = arena.allocate(4L << 20, 2L << 20);
            final NativeResult result = Memory.madvise(segment, Memory.MADV_HUGEPAGE);
            assertTrue(result.isOk() || result.errno() == EINVAL, result.message());
        }
    }

    @Test
    void anUnknownAdviceComesBackAsEinvalNotAnException() {
        assumeSupported();
        try (Arena arena = Arena.ofConfined()) {
            final MemorySegment segment = arena.allocate(Memory.pageSize(), Memory.pageSize());
            final NativeResult result = Memory.madvise(segment, 12_345);
            assertEquals(NativeResult.Status.REFUSED, result.status(), result.message());
            assertEquals(EINVAL, result.errno(), result.message());
            assertTrue(result.message().contains("EINVAL") && result.message().contains("advice 12345"),
                    result.message());
        }
    }

    @Test
    void aHeapSegmentIsUnsupportedNotACrash() {
        final MemorySegment heap = MemorySegment.ofArray(new float[1024]);
        for (final NativeResult result : new NativeResult[] {
            Memory.madvise(heap, Memory.MADV_WILLNEED), Memory.mlock(heap), Memory.munlock(heap)
        }) {
            assertEquals(NativeResult.Status.UNSUPPORTED, result.status(), result.message());
            assertFalse(result.message().isBlank());
        }
    }
}
