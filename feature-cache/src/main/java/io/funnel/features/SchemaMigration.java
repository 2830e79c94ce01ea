package io.funnel.features;

import java.io.File;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import io.funnel.features.internal.ChronicleMaps;
import net.openhft.chronicle.map.ChronicleMap;
import org.agrona.collections.MutableInteger;
import org.agrona.collections.MutableLong;

/**
 * Rewrites a store's row files from one schema layout to another where that is safe (features only added or removed;
 * see {@link FeatureSchema#canMigrateFrom}). Each file is written beside the old one and moved over it, so a failure
 * leaves the old file in place. Runs at open, before any reader exists.
 */
final class SchemaMigration {
    private SchemaMigration() {}

    static void migrate(final ChronicleFeatureStore.Builder b, final FeatureSchema from, final FeatureSchema to,
            final boolean unclean) throws IOException {
        if (unclean) {
            throw new FeatureStoreException(b.directory() + " was not closed cleanly; open it once under its own schema"
                    + " (schema.yaml there) so it recovers, then migrate");
        }
        final Path dir = b.directory();
        final Path dense = dir.resolve(ChronicleFeatureStore.DENSE_FILE);
        if (Files.exists(dense)) {
            final Path tmp = dir.resolve(ChronicleFeatureStore.DENSE_FILE + ".migrating");
            Files.deleteIfExists(tmp);
            try (DenseItemTable old = new DenseItemTable(dense, from.itemLayout(), from.fingerprint(), 16)) {
                final int n = old.count();
                try (DenseItemTable neu = new DenseItemTable(tmp, to.itemLayout(), to.fingerprint(), Math.max(16, n))) {
                    for (int ord = 0; ord < n; ord++) {
                        final long at = neu.prepareAppend(ord);
                        to.itemLayout().migrateRow(from.itemLayout(), old.segment(), old.rowOffset(ord),
                                neu.segment(), at);
                        neu.segment().set(java.lang.foreign.ValueLayout.JAVA_INT, at, 0);
                    }
                    neu.publish(n);
                }
            }
            ChronicleFeatureStore.replace(tmp, dense);
        }
        final Path items = dir.resolve(ChronicleFeatureStore.ITEMS_CM_FILE);
        if (Files.exists(items)) {
            final Path tmp = dir.resolve(ChronicleFeatureStore.ITEMS_CM_FILE + ".migrating");
            Files.deleteIfExists(tmp);
            final MutableInteger k = new MutableInteger();
            try (ChronicleMap<MutableInteger, byte[]> old = ChronicleMaps.itemRows(b.expectedItems(),
                            from.itemLayout().rowBytes()).createPersistedTo(items.toFile());
                    ChronicleMap<MutableInteger, byte[]> neu = ChronicleMaps.itemRows(b.expectedItems(),
                            to.itemLayout().rowBytes()).putReturnsNull(true).createPersistedTo(tmp.toFile())) {
                final byte[] out = new byte[to.itemLayout().rowBytes()];
                old.forEach((key, value) -> {
                    to.itemLayout().migrateRow(from.itemLayout(), MemorySegment.ofArray(value), 0,
                            MemorySegment.ofArray(out), 0);
                    k.set(key.get());
                    neu.put(k, out);
                });
            }
            ChronicleFeatureStore.replace(tmp, items);
        }
        final Path users = dir.resolve(ChronicleFeatureStore.USERS_FILE);
        if (Files.exists(users)) {
            final Path tmp = dir.resolve(ChronicleFeatureStore.USERS_FILE + ".migrating");
            Files.deleteIfExists(tmp);
            final MutableLong k = new MutableLong();
            final File oldFile = users.toFile();
            try (ChronicleMap<MutableLong, byte[]> old = ChronicleMaps.users(b.expectedUsers(),
                            from.userLayout().rowBytes()).createPersistedTo(oldFile);
                    ChronicleMap<MutableLong, byte[]> neu = ChronicleMaps.users(b.expectedUsers(),
                            to.userLayout().rowBytes()).putReturnsNull(true).createPersistedTo(tmp.toFile())) {
                final byte[] out = new byte[to.userLayout().rowBytes()];
                old.forEach((key, value) -> {
                    to.userLayout().migrateRow(from.userLayout(), MemorySegment.ofArray(value), 0,
                            MemorySegment.ofArray(out), 0);
                    k.set(key.get());
                    neu.put(k, out);
                });
            }
            ChronicleFeatureStore.replace(tmp, users);
        }
    }
}
