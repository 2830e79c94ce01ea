package io.funnel.engine.ingest;

import io.funnel.codecs.EventBatch;
import io.funnel.codecs.EventType;
import io.funnel.engine.config.FunnelConfig;
import io.funnel.engine.data.Dataset;
import io.funnel.engine.data.SyntheticGenerator;
import io.funnel.engine.offline.ServingState;
import io.funnel.engine.offline.ServingStateBuilder;
import io.funnel.features.UserRow;
import java.util.ArrayList;
import java.util.List;
import org.agrona.DirectBuffer;

/** Small data sets, states and an in-memory {@link EventLog} for the ingestion tests. */
final class IngestFixtures {
    /** User ids far above the generated ones: their rows hold only what the tests post. */
    static final long FIRST_TEST_USER = 1_000_000_000L;

    private IngestFixtures() {}

    static Dataset smallData() {
        return new SyntheticGenerator().items(300).users(100).events(3_000).categories(5).seed(11)
                .endMs(1_763_856_000_000L).generate();
    }

    static FunnelConfig smallConfig() {
        final FunnelConfig config = FunnelConfig.defaults();
        config.server.port = 0;
        config.server.eventLoops = 1;
        config.model.bprEpochs = 2;
        config.model.trainRanker = false;
        config.channels.ann.index = "flat";
        config.popularity.refreshMillis = 50;
        return config.validate("test");
    }

    /** {@link #smallConfig()} with the durable log in {@code dir} and small terms and segments. */
    static FunnelConfig durableConfig(final java.nio.file.Path dir, final String fileSync) {
        final FunnelConfig config = smallConfig();
        config.ingest.durable = true;
        config.ingest.dir = dir.toString();
        config.ingest.fileSync = fileSync;
        config.ingest.termMiB = 1;
        config.ingest.segmentMiB = 4;
        return config.validate("test");
    }

    static ServingState state(final Dataset data) {
        return new ServingStateBuilder(smallConfig(), line -> { }).build(data);
    }

    /** {@code n} click events of one user on catalog items, event times {@code firstTs, firstTs + 1, ...}. */
    static EventBatch clicks(final ServingState state, final long userId, final int n, final long firstTs) {
        final EventBatch batch = new EventBatch(n);
        for (int i = 0; i < n; i++) {
            batch.add(userId, state.store().itemIdAt((int) ((userId + i) % state.itemCount())), EventType.CLICK,
                    firstTs + i);
        }
        return batch;
    }

    static int[] ordinals(final ServingState state, final EventBatch batch) {
        final int[] out = new int[batch.count()];
        for (int i = 0; i < out.length; i++) {
            out[i] = state.store().ordinalOf(batch.itemId(i));
        }
        return out;
    }

    /** The user's interaction weight (clicks weigh 1), or 0 when unknown. */
    static float weight(final ServingState state, final long userId) {
        final UserRow row = new UserRow(state.store().dimension());
        return state.store().readUser(userId, row) ? row.interactionWeight() : 0f;
    }

    /** An in-memory log whose durable position the test moves by hand. */
    static final class MemoryEventLog implements EventLog {
        record Entry(byte[] bytes, long position) {}

        final List<Entry> entries = new ArrayList<>();
        final long start;
        volatile long durable;
        volatile boolean refuse;
        private long end;

        MemoryEventLog(final long start) {
            this.start = start;
            this.end = start;
            this.durable = start;
        }

        /** Makes everything appended so far durable. */
        void makeDurable() {
            durable = end;
        }

        synchronized long end() {
            return end;
        }

        @Override
        public synchronized long append(final DirectBuffer buffer, final int offset, final int length) {
            if (refuse) {
                return -4;
            }
            final byte[] bytes = new byte[length];
            buffer.getBytes(offset, bytes);
            end += (length + 32 + 31) & ~31; // a frame header, aligned to 32 like Aeron's
            entries.add(new Entry(bytes, end));
            return end;
        }

        @Override
        public long durablePosition() {
            return durable;
        }

        @Override
        public long startPosition() {
            return start;
        }

        @Override
        public synchronized long endPosition() {
            return end;
        }

        @Override
        public synchronized long replay(final long fromPosition, final RecordHandler handler) {
            long n = 0;
            for (final Entry e : entries) {
                if (e.position() > fromPosition) {
                    handler.onRecord(new org.agrona.concurrent.UnsafeBuffer(e.bytes()), 0, e.bytes().length,
                            e.position());
                    n++;
                }
            }
            return n;
        }

        @Override
        public String describe(final long status) {
            return "refused (" + status + ")";
        }

        @Override
        public void close() {}
    }
}
