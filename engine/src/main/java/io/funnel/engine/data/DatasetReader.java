package io.funnel.engine.data;

import io.funnel.codecs.EventType;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import org.agrona.collections.Long2LongHashMap;

/**
 * Reads catalogs and interaction logs. Every malformed line fails with a {@link DataFileException} naming the file,
 * the line number and the field; nothing is skipped silently.
 */
public final class DatasetReader {
    private DatasetReader() {}

    /**
     * Reads {@code path} in {@code format}. For {@link DatasetFormat#GENERATED} the path is the folder; for
     * {@link DatasetFormat#MOVIELENS} the folder or its {@code u.data}; for {@link DatasetFormat#CSV} the interactions
     * file, with an optional {@code items.csv} beside it.
     */
    public static Dataset read(final Path path, final DatasetFormat format) {
        if (!Files.exists(path)) {
            throw new DataFileException(path, 0, null, "no such file or folder");
        }
        return switch (format) {
            case GENERATED -> readCsv(path.resolve("interactions.csv"), path.resolve("items.csv"), path.toString());
            case MOVIELENS -> readMovieLens(Files.isDirectory(path) ? path.resolve("u.data") : path);
            case CSV -> {
                final Path items = path.resolveSibling("items.csv");
                yield readCsv(path, Files.exists(items) && !items.equals(path) ? items : null, path.toString());
            }
        };
    }

    /** Reads a generic CSV interactions file and an optional items file (see {@link DatasetFormat#CSV}). */
    public static Dataset readCsv(final Path interactions, final Path itemsFile, final String name) {
        final Catalog catalog = new Catalog();
        if (itemsFile != null) {
            readItems(itemsFile, catalog);
        }
        final Log log = new Log();
        forEachRow(interactions, (header, cols) -> {
            final int user = require(cols, "user_id", interactions);
            final int item = require(cols, "item_id", interactions);
            final Integer tsMsCol = cols.get("timestamp_ms");
            final Integer tsSecCol = cols.get("timestamp");
            if (tsMsCol == null && tsSecCol == null) {
                throw new DataFileException(interactions, 1, null,
                        "header needs a timestamp_ms (epoch ms) or timestamp (epoch seconds) column, got: " + header);
            }
            final Integer typeCol = cols.get("type");
            final Integer ratingCol = cols.get("rating");
            return (f, lineNo) -> {
                final long userId = parseLong(f[user], interactions, lineNo, "user_id");
                final long itemId = parseLong(f[item], interactions, lineNo, "item_id");
                final long ts = tsMsCol != null
                        ? parseLong(f[tsMsCol], interactions, lineNo, "timestamp_ms")
                        : parseLong(f[tsSecCol], interactions, lineNo, "timestamp") * 1000L;
                EventType type = EventType.CLICK;
                if (typeCol != null) {
                    type = EventType.parse(f[typeCol].trim().toLowerCase(Locale.ROOT));
                    if (type == null) {
                        throw new DataFileException(interactions, lineNo, "type",
                                "must be one of view, click, like, purchase, got '" + f[typeCol] + "'");
                    }
                } else if (ratingCol != null) {
                    final double rating = parseDouble(f[ratingCol], interactions, lineNo, "rating");
                    type = rating >= 4 ? EventType.LIKE : EventType.CLICK;
                }
                log.add(userId, catalog.ordinal(itemId), type, ts);
            };
        });
        return catalog.dataset(name, log);
    }

    /** Reads MovieLens 100K's {@code u.data}, with categories and release dates from {@code u.item} beside it. */
    public static Dataset readMovieLens(final Path uData) {
        final Catalog catalog = new Catalog();
        final Path uItem = uData.resolveSibling("u.item");
        if (Files.exists(uItem)) {
            readMovieLensItems(uItem, catalog);
        }
        final Log log = new Log();
        try (BufferedReader reader = Files.newBufferedReader(uData, StandardCharsets.ISO_8859_1)) {
            String line;
            long lineNo = 0;
            while ((line = reader.readLine()) != null) {
                lineNo++;
                if (line.isBlank()) {
                    continue;
                }
                final String[] f = line.split("\t");
                if (f.length != 4) {
                    throw new DataFileException(uData, lineNo, null,
                            "expected 4 tab-separated fields (user, item, rating, timestamp), got " + f.length);
                }
                final long userId = parseLong(f[0], uData, lineNo, "user");
                final long itemId = parseLong(f[1], uData, lineNo, "item");
                final long rating = parseLong(f[2], uData, lineNo, "rating");
                final long ts = parseLong(f[3], uData, lineNo, "timestamp") * 1000L;
                log.add(userId, catalog.ordinal(itemId), rating >= 4 ? EventType.LIKE : EventType.CLICK, ts);
            }
        } catch (final IOException e) {
            throw new UncheckedIOException("cannot read " + uData, e);
        }
        return catalog.dataset(uData.getParent() != null ? uData.getParent().toString() : uData.toString(), log);
    }

    private static void readMovieLensItems(final Path uItem, final Catalog catalog) {
        final DateTimeFormatter date = DateTimeFormatter.ofPattern("d-MMM-yyyy", Locale.ENGLISH);
        try (BufferedReader reader = Files.newBufferedReader(uItem, StandardCharsets.ISO_8859_1)) {
            String line;
            long lineNo = 0;
            while ((line = reader.readLine()) != null) {
                lineNo++;
                if (line.isBlank()) {
                    continue;
                }
                final String[] f = line.split("\\|", -1);
                if (f.length < 6) {
                    throw new DataFileException(uItem, lineNo, null, "expected id|title|date|video|url|genres...");
                }
                final long itemId = parseLong(f[0], uItem, lineNo, "movie id");
                int category = 0; // "unknown" genre
                for (int g = 5; g < f.length; g++) {
                    if ("1".equals(f[g])) {
                        category = g - 5;
                        break;
                    }
                }
                long created = 0;
                if (!f[2].isBlank()) {
                    try {
                        created = LocalDate.parse(f[2], date).atStartOfDay(ZoneOffset.UTC).toInstant().toEpochMilli();
                    } catch (final DateTimeParseException e) {
                        throw new DataFileException(uItem, lineNo, "release date", "expected dd-MMM-yyyy, got '"
                                + f[2] + "'");
                    }
                }
                catalog.put(itemId, category, true, created);
            }
        } catch (final IOException e) {
            throw new UncheckedIOException("cannot read " + uItem, e);
        }
    }

    private static void readItems(final Path file, final Catalog catalog) {
        forEachRow(file, (header, cols) -> {
            final int id = require(cols, "item_id", file);
            final Integer cat = cols.get("category");
            final Integer stock = cols.get("in_stock");
            final Integer created = cols.get("created_at_ms");
            final Integer creatorCol = cols.get("creator_id");
            return (f, lineNo) -> {
                final long itemId = parseLong(f[id], file, lineNo, "item_id");
                final long category = cat == null ? 0 : parseLong(f[cat], file, lineNo, "category");
                if (category < 0 || category > 1_000_000) {
                    throw new DataFileException(file, lineNo, "category", "must be 0..1000000, got " + category);
                }
                final boolean inStock = stock == null || parseBoolean(f[stock], file, lineNo, "in_stock");
                final long createdMs = created == null ? 0 : parseLong(f[created], file, lineNo, "created_at_ms");
                final long creator = creatorCol == null ? -1 : parseLong(f[creatorCol], file, lineNo, "creator_id");
                if (creator < -1 || creator > Integer.MAX_VALUE) {
                    throw new DataFileException(file, lineNo, "creator_id", "must be -1 (unknown) or a non-negative"
                            + " int, got " + creator);
                }
                catalog.creator(catalog.put(itemId, (int) category, inStock, createdMs), (int) creator);
            };
        });
    }

    /** Handles one data line of a CSV file: its fields and its 1-based line number. */
    @FunctionalInterface
    private interface RowHandler {
        void row(String[] fields, long lineNo);
    }

    /** Builds the row handler once the header is known (the raw line and its column map). */
    @FunctionalInterface
    private interface HeaderHandler {
        RowHandler header(String line, Map<String, Integer> columns);
    }

    /** Reads a comma-separated file with a header line; blank lines are skipped, short lines are errors. */
    private static void forEachRow(final Path file, final HeaderHandler onHeader) {
        try (BufferedReader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            final String header = reader.readLine();
            if (header == null) {
                throw new DataFileException(file, 1, null, "empty file, expected a header line");
            }
            final Map<String, Integer> cols = columns(header);
            final RowHandler onRow = onHeader.header(header, cols);
            String line;
            long lineNo = 1;
            while ((line = reader.readLine()) != null) {
                lineNo++;
                if (line.isBlank()) {
                    continue;
                }
                final String[] f = line.split(",", -1);
                if (f.length < cols.size()) {
                    throw new DataFileException(file, lineNo, null, "expected " + cols.size() + " columns, got "
                            + f.length);
                }
                onRow.row(f, lineNo);
            }
        } catch (final IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
    }

    private static Map<String, Integer> columns(final String header) {
        final Map<String, Integer> cols = new HashMap<>();
        final String[] names = header.split(",");
        for (int i = 0; i < names.length; i++) {
            cols.put(names[i].trim().toLowerCase(Locale.ROOT), i);
        }
        return cols;
    }

    private static int require(final Map<String, Integer> cols, final String name, final Path file) {
        final Integer i = cols.get(name);
        if (i == null) {
            throw new DataFileException(file, 1, null, "header has no '" + name + "' column; it has " + cols.keySet());
        }
        return i;
    }

    private static long parseLong(final String s, final Path file, final long line, final String field) {
        try {
            return Long.parseLong(s.trim());
        } catch (final NumberFormatException e) {
            throw new DataFileException(file, line, field, "expected an integer, got '" + s + "'");
        }
    }

    private static double parseDouble(final String s, final Path file, final long line, final String field) {
        try {
            return Double.parseDouble(s.trim());
        } catch (final NumberFormatException e) {
            throw new DataFileException(file, line, field, "expected a number, got '" + s + "'");
        }
    }

    private static boolean parseBoolean(final String s, final Path file, final long line, final String field) {
        return switch (s.trim().toLowerCase(Locale.ROOT)) {
            case "1", "true", "yes" -> true;
            case "0", "false", "no" -> false;
            default -> throw new DataFileException(file, line, field, "expected true/false or 1/0, got '" + s + "'");
        };
    }

    /** Items in first-seen order, mapping external ids to ordinals. */
    static final class Catalog {
        private final Long2LongHashMap ordinals = new Long2LongHashMap(-1);
        private long[] ids = new long[1024];
        private int[] category = new int[1024];
        private boolean[] inStock = new boolean[1024];
        private long[] created = new long[1024];
        private int[] creators = new int[1024];
        private int size;

        int ordinal(final long itemId) {
            final long o = ordinals.get(itemId);
            return o >= 0 ? (int) o : put(itemId, 0, true, 0);
        }

        int put(final long itemId, final int cat, final boolean stock, final long createdMs) {
            long o = ordinals.get(itemId);
            if (o < 0) {
                if (size == ids.length) {
                    final int n = size * 2;
                    ids = Arrays.copyOf(ids, n);
                    category = Arrays.copyOf(category, n);
                    inStock = Arrays.copyOf(inStock, n);
                    created = Arrays.copyOf(created, n);
                    creators = Arrays.copyOf(creators, n);
                }
                o = size++;
                creators[(int) o] = -1;
                ordinals.put(itemId, o);
                ids[(int) o] = itemId;
            }
            category[(int) o] = cat;
            inStock[(int) o] = stock;
            created[(int) o] = createdMs;
            return (int) o;
        }

        void creator(final int ordinal, final int creator) {
            creators[ordinal] = creator;
        }

        Dataset dataset(final String name, final Log log) {
            return new Dataset(name, Arrays.copyOf(ids, size), Arrays.copyOf(category, size),
                    Arrays.copyOf(inStock, size), Arrays.copyOf(created, size), Arrays.copyOf(creators, size),
                    Arrays.copyOf(log.users, log.size),
                    Arrays.copyOf(log.items, log.size), Arrays.copyOf(log.types, log.size),
                    Arrays.copyOf(log.ts, log.size));
        }
    }

    /** A growable columnar interaction log. */
    static final class Log {
        long[] users = new long[4096];
        int[] items = new int[4096];
        byte[] types = new byte[4096];
        long[] ts = new long[4096];
        int size;

        void add(final long user, final int item, final EventType type, final long tsMs) {
            if (size == users.length) {
                final int n = size * 2;
                users = Arrays.copyOf(users, n);
                items = Arrays.copyOf(items, n);
                types = Arrays.copyOf(types, n);
                ts = Arrays.copyOf(ts, n);
            }
            users[size] = user;
            items[size] = item;
            types[size] = (byte) type.ordinal();
            ts[size] = tsMs;
            size++;
        }
    }
}
