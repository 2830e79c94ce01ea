package io.funnel.engine.config;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.funnel.engine.pipeline.StageId;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Funnel's configuration, as read from {@code config/funnel.yaml}. Every key has a default, so an empty file is a
 * valid configuration; unknown keys and bad values fail at start-up with the file, the key and the reason.
 *
 * <p>This is a plain data holder with public fields (the YAML maps onto them one to one); {@link #validate} must
 * be called after changing it by hand. Not thread-safe: build it, validate it, then share it read-only.
 */
public final class FunnelConfig {
    public Server server = new Server();
    public Admin admin = new Admin();
    public Data data = new Data();
    public Model model = new Model();
    /** Per-stage budgets, durations such as {@code 5ms}, {@code 800us} or plain microseconds. */
    public Map<String, String> budgets = defaultBudgets();
    public Features features = new Features();
    public Cpus cpus = new Cpus();
    public Channels channels = new Channels();
    public Popularity popularity = new Popularity();
    public Filters filters = new Filters();
    public PreRank preRank = new PreRank();
    public ReRank reRank = new ReRank();
    public Ingest ingest = new Ingest();

    /** The HTTP listener. */
    public static final class Server {
        public String host = "127.0.0.1";
        public int port = 8080;
        /** Event-loop threads; 0 means one per core. */
        public int eventLoops = 0;
        /** Requests in flight above which new ones get 503 at once. */
        public int maxInFlight = 512;
        /** Largest accepted request body, bytes. */
        public int maxBodyBytes = 1 << 20;
        /** Prefer Linux epoll over NIO when Netty's native transport is on the class path. */
        public boolean nativeTransport = true;
        /**
         * The binary endpoint (SBE frames over TCP, see codecs/README.md) on the same host and event loops:
         * 0 picks a free port, -1 turns it off.
         */
        public int binaryPort = 8082;
        /** Largest accepted binary frame (the length prefix's value), bytes; a larger one closes the connection. */
        public int maxFrameBytes = 1 << 20;
    }

    /**
     * The admin listener (budgets, config, drain, model reload, live dashboard). It is off unless at least one
     * token is configured here or in the environment variable {@code FUNNEL_ADMIN_TOKEN} (named {@code env}).
     */
    public static final class Admin {
        public String host = "127.0.0.1";
        /** 0 picks a free port. */
        public int port = 8081;
        /** Token name (who, in the audit log) → bearer token. */
        public Map<String, String> tokens = new LinkedHashMap<>();
    }

    /** Where the catalog and interaction log come from. */
    public static final class Data {
        /** Folder or file with the data; relative paths resolve against the working directory. */
        public String path = "data/demo";
        /** {@code generated}, {@code movielens} or {@code csv}. */
        public String format = "generated";
        /** When the path does not exist, generate a synthetic data set there of this many items (0: fail). */
        public int generateItems = 0;
        public int generateUsers = 0;
        public int generateEvents = 0;
        public long generateSeed = 1;
    }

    /** Offline model building at start-up. */
    public static final class Model {
        /** Embedding dimension of users and items. */
        public int embeddingDim = 32;
        /** Matrix-factorisation epochs. */
        public int bprEpochs = 8;
        /**
         * Trainer of the retrieval embeddings computed from the log: {@code bpr} (plain Java, seconds, bitwise
         * reproducible) or {@code tensorflow} (TensorFlow matrix factorisation with the BPR loss, as
         * {@code funnel train} writes into bundles; minutes on large logs).
         */
        public String embeddings = "bpr";
        /** Fit the ranker's weights on a held-out slice of the log (otherwise use built-in weights). */
        public boolean trainRanker = true;
        /**
         * Most users whose candidates become ranker training rows (a seeded sample of those active in the log's
         * last 10%; up to 200 negatives each, see {@code RankingExamples}).
         */
        public int exampleUsers = 3000;
        public long seed = 7;
        /**
         * Folder of model bundles written by {@code funnel train} ({@code <folder>/<version>/ranker/...}); when set
         * and it holds a valid version, that TensorFlow ranker serves through the micro-batcher instead of the
         * logistic ranker, and {@code POST /admin/models/reload} swaps in newer versions. Empty: off.
         */
        public String bundles = "";
        /** Watch the bundle folder for new versions this often, seconds; 0 = only on the admin reload. */
        public int reloadPollSeconds = 0;
        /** Most rows in one batched model call. */
        public int maxBatch = 2048;
        /** How long the batcher waits for more requests before a call, microseconds (0: no waiting). */
        public int maxDelayMicros = 0;
        /** Rank requests that may wait for the batcher; beyond this they fall back to pre-rank order. */
        public int queueCapacity = 1024;
        /** Batcher threads, each with its own model calls. */
        public int replicas = 1;
        /**
         * Adaptive spin of an idle batcher thread before it parks, microseconds (0: park at once). It spins only while
         * rank requests arrive at least this often; costs up to a core per replica at such rates.
         */
        public int spinMicros = 0;
        /**
         * Event loops poll ({@code epoll_wait(0)} in a loop) instead of sleeping while one of their rank requests is
         * with the batcher, so the result is picked up in about a microsecond instead of after a 40–60 µs wake-up
         * ({@code io.funnel.model.EventLoopPolling}). Needs the native epoll transport; costs a core per waiting
         * loop for the length of the model call. Off by default.
         */
        public boolean busyPollLoops = false;
    }

    /**
     * Feedback-event ingestion: the durable event log (an Aeron Archive recording in {@link #dir}) and the Aeron
     * ingress stream. Off by default in code, so an embedded server or a test keeps the in-memory behaviour; the
     * shipped {@code config/funnel.yaml} turns the log on.
     */
    public static final class Ingest {
        /**
         * Append every accepted batch to the event log and acknowledge it only once the archive has recorded it (and
         * the applier has applied it); replay the log on top of the data set at start-up.
         */
        public boolean durable = false;
        /** Folder of the event log: the archive's recordings and catalog, and the applied-position file. */
        public String dir = "data/ingest";
        /**
         * When the archive forces what it records to the disk before it counts it as recorded: {@code none} (page
         * cache only: survives a killed process, not a power loss), {@code data} (fdatasync per write: survives a
         * power loss), {@code metadata} (fsync, file metadata too).
         */
        public String fileSync = "data";
        /** Size of one recording segment file, MiB (a power of two, at least the term length). */
        public int segmentMiB = 128;
        /** Term length of the log publication, MiB (a power of two, 1..1024); one batch may be at most 1/8 of it. */
        public int termMiB = 8;
        /** Batches accepted but not yet applied (queued, or appended and waiting to be recorded). */
        public int queueCapacity = 4096;
        /**
         * Longest sleep of an idle ingest thread (media driver, archive, applier, ingress), microseconds: lower
         * acknowledges the first event after a quiet spell sooner and costs more idle CPU.
         */
        public int idleMaxParkMicros = 1000;
        /**
         * The embedded media driver's directory; empty: a fresh one per server under Aeron's default base
         * ({@code /dev/shm} on Linux), deleted on close. Set it when publishers in other processes use
         * {@code aeron:ipc}: they connect to the driver through this directory.
         */
        public String aeronDir = "";
        /** External publishers: SBE EventBatch messages on an Aeron stream. */
        public IngestAeron aeron = new IngestAeron();
    }

    /** The Aeron ingress stream (needs the embedded media driver, which the server starts when this is on). */
    public static final class IngestAeron {
        public boolean enabled = false;
        /** {@code aeron:ipc} or {@code aeron:udp?endpoint=127.0.0.1:<port>} (the server's receiving end). */
        public String channel = "aeron:udp?endpoint=127.0.0.1:18350";
        public int streamId = 1001;
        /** Where Ack and Error messages go (correlation id, accepted, log position); empty: no acks are sent. */
        public String ackChannel = "";
        public int ackStreamId = 1002;
    }

    /** CPU pinning per thread role (Linux; off by default: empty lists). */
    public static final class Cpus {
        /** CPUs the HTTP event loops may run on. */
        public java.util.List<Integer> eventLoops = new java.util.ArrayList<>();
        /** CPUs the event applier (the single writer) may run on. */
        public java.util.List<Integer> ingest = new java.util.ArrayList<>();
        /** CPUs the micro-batcher's threads (TensorFlow ranker) may run on. */
        public java.util.List<Integer> batcher = new java.util.ArrayList<>();
    }

    /** The online feature store. */
    public static final class Features {
        /**
         * {@code memory} (heap arrays) or {@code chronicle} (persisted: Chronicle Map for ids and users, a dense
         * memory-mapped row table for items). Either way it is rebuilt from the log at start-up.
         */
        public String store = "memory";
        /** Folder of the chronicle store's files (emptied and rebuilt at start-up). */
        public String directory = "data/features";
        /** {@code mlock} the chronicle store's item table (it is always advised WILLNEED and HUGEPAGE). */
        public boolean lockInMemory = false;
    }

    /** Retrieval channels. */
    public static final class Channels {
        public Channel popular = new Channel(true, 100, false);
        public Channel itemcf = new Channel(true, 200, false);
        public AnnChannel ann = new AnnChannel();
    }

    /** The embedding channel and its index. */
    public static final class AnnChannel extends Channel {
        /** {@code hnsw} (approximate graph index) or {@code flat} (exact scan, for small catalogs). */
        public String index = "hnsw";
        /** HNSW links per node on the upper levels (level 0 keeps twice as many). */
        public int maxDegree = 16;
        /** HNSW beam while building. */
        public int buildBeam = 100;
        /** HNSW beam while searching: higher is more recall, less speed. */
        public int searchBeam = 100;
        /**
         * HNSW build threads, 0 for one per core. Only 1 builds the same graph every time for a seed; {@code funnel
         * train} always uses 1, so that its bundle and training examples are reproducible.
         */
        public int buildThreads = 0;
        /** {@code mlock} the index's vectors (they are always advised WILLNEED and HUGEPAGE). */
        public boolean lockInMemory = false;

        public AnnChannel() {
            super(true, 200, false);
        }
    }

    /** One retrieval channel. */
    public static class Channel {
        public boolean enabled;
        /** Candidates this channel returns at most. */
        public int k;
        /** Run on the worker pool instead of inline on the event loop. */
        public boolean offload;

        public Channel() {}

        protected Channel(final boolean enabled, final int k, final boolean offload) {
            this.enabled = enabled;
            this.k = k;
            this.offload = offload;
        }
    }

    /** Popularity and trending counters. */
    public static final class Popularity {
        /** Half-life of the decayed popularity counts, hours. */
        public double halfLifeHours = 168;
        /** Width of the trending window, minutes. */
        public int trendingWindowMinutes = 60;
        /** How often the top lists are rebuilt from the counters, milliseconds. */
        public int refreshMillis = 1000;
    }

    /** Candidate filters. */
    public static final class Filters {
        public boolean excludeSeen = true;
        public boolean excludeOutOfStock = true;
    }

    /** The light pre-ranker. */
    public static final class PreRank {
        /** Candidates kept for the ranker. */
        public int keep = 150;
    }

    /** The final re-ranking: named policies, one of them the default; a request may pick another by name. */
    public static final class ReRank {
        /** Policy used when a request names none. */
        public String defaultPolicy = "diverse";
        /** Named policies. The defaults are {@code diverse}, {@code relevance}, {@code dpp} and {@code explore}. */
        public Map<String, Policy> policies = defaultPolicies();
    }

    /**
     * One re-rank policy: optional steps applied in a fixed order — blocks and boosts, repetition limit, freshness
     * boost, then the selector (with the sliding-window rule and quotas as constraints), then guaranteed cold-start
     * slots, then exploration slots.
     */
    public static final class Policy {
        /** {@code greedy} (relevance order), {@code mmr} or {@code dpp}. */
        public String selector = "mmr";
        /** MMR trade-off: 1 is pure relevance, 0 pure diversity. */
        public double lambda = 0.85;
        /** Similarity added for two items of the same category (MMR and DPP kernels), in [0, 1]. */
        public double categoryPenalty = 0.3;
        /** DPP quality exponent: higher favours relevance over diversity. */
        public double dppAlpha = 5.0;
        /** "No more than maxPerCategory of a category in any size consecutive slots"; null for none. */
        public Window window;
        /** Caps per category and per creator over the whole list; null for none. */
        public Quotas quotas;
        /** Items the user was shown (view events) this many times lately are not shown again; 0 for none. */
        public int maxImpressions = 0;
        /** Multiplies relevance by 1 + boost * 2^(-age / halfLifeDays); null for none. */
        public Freshness freshness;
        /** Guarantees a share of the slots to cold-start items; null for none. */
        public ColdStart coldStart;
        /** Exploration slots filled by a bandit; null for none. */
        public Exploration exploration;
        /** Relevance multipliers by category id and by item id. */
        public Map<Integer, Double> boostCategories = new LinkedHashMap<>();
        public Map<Long, Double> boostItems = new LinkedHashMap<>();
        /** Never shown: these categories and items. */
        public java.util.List<Integer> blockCategories = new java.util.ArrayList<>();
        public java.util.List<Long> blockItems = new java.util.ArrayList<>();

        public Policy() {}

        Policy(final String selector) {
            this.selector = selector;
        }
    }

    /** The sliding-window diversity rule. */
    public static final class Window {
        public int size = 4;
        public int maxPerCategory = 2;
    }

    /** Exposure quotas over one list. */
    public static final class Quotas {
        /** 0 means no cap. */
        public int maxPerCategory = 0;
        public int maxPerCreator = 0;
    }

    /** A decaying boost for new items. */
    public static final class Freshness {
        public double boost = 0.2;
        public double halfLifeDays = 3;
    }

    /** Cold-start items: new and little seen. */
    public static final class ColdStart {
        /** Share of the slots guaranteed to cold-start items, in [0, 1]. */
        public double share = 0.1;
        /** At most this total interaction weight to count as cold. */
        public double maxInteractions = 5;
        /** At most this old to count as cold. */
        public double maxAgeDays = 14;
    }

    /** Exploration slots. */
    public static final class Exploration {
        /** {@code thompson} (Beta posterior of each item's CTR) or {@code linucb} (shared linear model). */
        public String method = "thompson";
        /** Number of slots given to exploration. */
        public int slots = 1;
        /** LinUCB's exploration weight. */
        public double alpha = 0.5;
    }

    private static Map<String, Policy> defaultPolicies() {
        final Map<String, Policy> p = new LinkedHashMap<>();
        final Policy diverse = new Policy("mmr");
        diverse.window = new Window();
        diverse.window.size = 3;
        diverse.window.maxPerCategory = 2;
        p.put("diverse", diverse);
        p.put("relevance", new Policy("greedy"));
        p.put("dpp", new Policy("dpp"));
        final Policy explore = new Policy("mmr");
        explore.freshness = new Freshness();
        explore.coldStart = new ColdStart();
        explore.exploration = new Exploration();
        explore.quotas = new Quotas();
        explore.quotas.maxPerCreator = 2;
        p.put("explore", explore);
        return p;
    }

    private static Map<String, String> defaultBudgets() {
        final Map<String, String> b = new LinkedHashMap<>();
        b.put("total", "50ms");
        for (final StageId stage : StageId.values()) {
            b.put(stage.configKey(), stage.defaultBudget());
        }
        return b;
    }

    /** The built-in defaults (what an empty file gives). */
    public static FunnelConfig defaults() {
        return new FunnelConfig().validate("(defaults)");
    }

    /**
     * Reads and validates a YAML file.
     *
     * @throws ConfigException naming the file, the key and the reason
     */
    public static FunnelConfig load(final Path file) {
        if (!Files.isRegularFile(file)) {
            throw new ConfigException(file.toString(), null, "no such file");
        }
        final ObjectMapper yaml = new ObjectMapper(new YAMLFactory())
                .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
                .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES);
        final FunnelConfig config;
        try {
            final String text = Files.readString(file);
            config = text.isBlank() ? new FunnelConfig() : yaml.readerForUpdating(new FunnelConfig()).readValue(text);
        } catch (final UnrecognizedPropertyException e) {
            throw new ConfigException(file.toString(), path(e), "unknown key '" + e.getPropertyName()
                    + "'; known keys here are " + e.getKnownPropertyIds());
        } catch (final JsonMappingException e) {
            throw new ConfigException(file.toString(), path(e), e.getOriginalMessage());
        } catch (final IOException e) {
            throw new ConfigException(file.toString(), null, "cannot read: " + e.getMessage());
        }
        return config.validate(file.toString());
    }

    private static String path(final JsonMappingException e) {
        return e.getPath().stream()
                .map(r -> r.getFieldName() != null ? r.getFieldName() : "[" + r.getIndex() + "]")
                .collect(Collectors.joining("."));
    }

    /**
     * Checks every value; returns {@code this}.
     *
     * @param source the file name used in messages
     * @throws ConfigException naming the key and the reason
     */
    public FunnelConfig validate(final String source) {
        range(source, "server.port", server.port, 0, 65535);
        range(source, "server.eventLoops", server.eventLoops, 0, 1024);
        range(source, "server.maxInFlight", server.maxInFlight, 1, 1_000_000);
        range(source, "server.maxBodyBytes", server.maxBodyBytes, 1024, 256 << 20);
        range(source, "server.binaryPort", server.binaryPort, -1, 65535);
        range(source, "server.maxFrameBytes", server.maxFrameBytes, 1024, 256 << 20);
        if (server.binaryPort > 0 && server.binaryPort == server.port) {
            throw new ConfigException(source, "server.binaryPort", "must differ from server.port (" + server.port
                    + "): the binary endpoint has its own listener");
        }
        if (server.binaryPort > 0 && server.binaryPort == admin.port) {
            throw new ConfigException(source, "server.binaryPort", "must differ from admin.port (" + admin.port + ")");
        }
        range(source, "admin.port", admin.port, 0, 65535);
        admin.tokens.forEach((name, token) -> {
            if (token == null || token.length() < 16) {
                throw new ConfigException(source, "admin.tokens." + name, "a token must be at least 16 characters");
            }
        });
        try {
            io.funnel.engine.data.DatasetFormat.parse(data.format);
        } catch (final IllegalArgumentException e) {
            throw new ConfigException(source, "data.format", e.getMessage());
        }
        range(source, "data.generateItems", data.generateItems, 0, 100_000_000);
        range(source, "data.generateUsers", data.generateUsers, 0, 100_000_000);
        range(source, "data.generateEvents", data.generateEvents, 0, 1_000_000_000);
        range(source, "model.embeddingDim", model.embeddingDim, 2, 1024);
        range(source, "model.bprEpochs", model.bprEpochs, 1, 1000);
        range(source, "model.exampleUsers", model.exampleUsers, 1, 10_000_000);
        range(source, "model.reloadPollSeconds", model.reloadPollSeconds, 0, 86_400);
        range(source, "model.maxBatch", model.maxBatch, 1, 1_000_000);
        range(source, "model.maxDelayMicros", model.maxDelayMicros, 0, 1_000_000);
        range(source, "model.queueCapacity", model.queueCapacity, 1, 1_000_000);
        range(source, "model.replicas", model.replicas, 1, 64);
        range(source, "model.spinMicros", model.spinMicros, 0, 1_000_000);
        if (model.busyPollLoops && !server.nativeTransport) {
            throw new ConfigException(source, "model.busyPollLoops", "needs server.nativeTransport: true (the polling"
                    + " is a select strategy of Netty's epoll transport)");
        }
        final int cores = Runtime.getRuntime().availableProcessors();
        for (final Integer cpu : cpus.eventLoops) {
            range(source, "cpus.eventLoops", cpu == null ? -1 : cpu, 0, cores - 1);
        }
        for (final Integer cpu : cpus.ingest) {
            range(source, "cpus.ingest", cpu == null ? -1 : cpu, 0, cores - 1);
        }
        for (final Integer cpu : cpus.batcher) {
            range(source, "cpus.batcher", cpu == null ? -1 : cpu, 0, cores - 1);
        }
        if (!model.embeddings.equals("bpr") && !model.embeddings.equals("tensorflow")) {
            throw new ConfigException(source, "model.embeddings", "must be bpr or tensorflow, got '"
                    + model.embeddings + "'");
        }
        if (!features.store.equals("memory") && !features.store.equals("chronicle")) {
            throw new ConfigException(source, "features.store", "must be memory or chronicle, got '" + features.store
                    + "'");
        }
        range(source, "channels.popular.k", channels.popular.k, 1, 10_000);
        range(source, "channels.itemcf.k", channels.itemcf.k, 1, 10_000);
        range(source, "channels.ann.k", channels.ann.k, 1, 10_000);
        if (!channels.ann.index.equals("hnsw") && !channels.ann.index.equals("flat")) {
            throw new ConfigException(source, "channels.ann.index", "must be hnsw or flat, got '"
                    + channels.ann.index + "'");
        }
        range(source, "channels.ann.maxDegree", channels.ann.maxDegree, 2, 256);
        range(source, "channels.ann.buildBeam", channels.ann.buildBeam, channels.ann.maxDegree, 10_000);
        range(source, "channels.ann.searchBeam", channels.ann.searchBeam, 1, 10_000);
        range(source, "channels.ann.buildThreads", channels.ann.buildThreads, 0, 1024);
        if (!(popularity.halfLifeHours > 0)) {
            throw new ConfigException(source, "popularity.halfLifeHours", "must be > 0, got " + popularity.halfLifeHours);
        }
        range(source, "popularity.trendingWindowMinutes", popularity.trendingWindowMinutes, 1, 7 * 24 * 60);
        range(source, "popularity.refreshMillis", popularity.refreshMillis, 10, 3_600_000);
        range(source, "preRank.keep", preRank.keep, 1, 10_000);
        if (reRank.policies.isEmpty()) {
            throw new ConfigException(source, "reRank.policies", "needs at least one policy");
        }
        if (!reRank.policies.containsKey(reRank.defaultPolicy)) {
            throw new ConfigException(source, "reRank.defaultPolicy", "'" + reRank.defaultPolicy
                    + "' is not among the policies " + reRank.policies.keySet());
        }
        reRank.policies.forEach((name, policy) -> validatePolicy(source, "reRank.policies." + name, policy));
        validateIngest(source);
        budgetsMicros(source); // parses and checks every budget
        return this;
    }

    /**
     * The budgets in microseconds: index {@code StageId.ordinal()} per stage, and the total at index
     * {@code StageId.values().length}. Missing stages take their defaults.
     */
    public long[] budgetsMicros(final String source) {
        final StageId[] stages = StageId.values();
        final long[] out = new long[stages.length + 1];
        final Map<String, String> defaults = defaultBudgets();
        for (final String key : budgets.keySet()) {
            if (!defaults.containsKey(key)) {
                throw new ConfigException(source, "budgets." + key, "unknown stage; known are " + defaults.keySet());
            }
        }
        final long total = Durations.parseMicros(budgets.getOrDefault("total", defaults.get("total")), source,
                "budgets.total");
        for (final StageId stage : stages) {
            final String key = stage.configKey();
            final long micros = Durations.parseMicros(budgets.getOrDefault(key, defaults.get(key)), source,
                    "budgets." + key);
            if (micros > total) {
                throw new ConfigException(source, "budgets." + key, "must not exceed budgets.total (" + total
                        + "us), got " + micros + "us");
            }
            out[stage.ordinal()] = micros;
        }
        out[stages.length] = total;
        return out;
    }

    private void validateIngest(final String source) {
        if (!ingest.fileSync.equals("none") && !ingest.fileSync.equals("data") && !ingest.fileSync.equals("metadata")) {
            throw new ConfigException(source, "ingest.fileSync", "must be none, data or metadata, got '"
                    + ingest.fileSync + "'");
        }
        if (ingest.dir == null || ingest.dir.isBlank()) {
            throw new ConfigException(source, "ingest.dir", "must name a folder");
        }
        range(source, "ingest.termMiB", ingest.termMiB, 1, 1024);
        if (Integer.bitCount(ingest.termMiB) != 1) {
            throw new ConfigException(source, "ingest.termMiB", "must be a power of two, got " + ingest.termMiB);
        }
        range(source, "ingest.segmentMiB", ingest.segmentMiB, ingest.termMiB, 1024);
        if (Integer.bitCount(ingest.segmentMiB) != 1) {
            throw new ConfigException(source, "ingest.segmentMiB", "must be a power of two, got "
                    + ingest.segmentMiB);
        }
        range(source, "ingest.queueCapacity", ingest.queueCapacity, 2, 1 << 20);
        range(source, "ingest.idleMaxParkMicros", ingest.idleMaxParkMicros, 1, 1_000_000);
        if (ingest.aeron.enabled) {
            aeronChannel(source, "ingest.aeron.channel", ingest.aeron.channel);
            if (!ingest.aeron.ackChannel.isEmpty()) {
                aeronChannel(source, "ingest.aeron.ackChannel", ingest.aeron.ackChannel);
                if (ingest.aeron.ackChannel.equals(ingest.aeron.channel)
                        && ingest.aeron.ackStreamId == ingest.aeron.streamId) {
                    throw new ConfigException(source, "ingest.aeron.ackStreamId", "must differ from"
                            + " ingest.aeron.streamId on the same channel");
                }
            }
        }
    }

    private static void aeronChannel(final String source, final String key, final String channel) {
        if (channel == null || !(channel.startsWith("aeron:ipc") || channel.startsWith("aeron:udp?"))) {
            throw new ConfigException(source, key, "must be aeron:ipc or aeron:udp?endpoint=<host>:<port>, got '"
                    + channel + "'");
        }
    }

    private static void validatePolicy(final String source, final String at, final Policy p) {
        final String selector = p.selector.toLowerCase(Locale.ROOT);
        if (!selector.equals("greedy") && !selector.equals("mmr") && !selector.equals("dpp")) {
            throw new ConfigException(source, at + ".selector", "must be greedy, mmr or dpp, got '" + p.selector + "'");
        }
        unit(source, at + ".lambda", p.lambda);
        unit(source, at + ".categoryPenalty", p.categoryPenalty);
        if (!(p.dppAlpha > 0 && p.dppAlpha <= 50)) {
            throw new ConfigException(source, at + ".dppAlpha", "must be in (0, 50], got " + p.dppAlpha);
        }
        if (p.window != null) {
            range(source, at + ".window.size", p.window.size, 2, 100);
            range(source, at + ".window.maxPerCategory", p.window.maxPerCategory, 1, p.window.size - 1);
        }
        if (p.quotas != null) {
            range(source, at + ".quotas.maxPerCategory", p.quotas.maxPerCategory, 0, 500);
            range(source, at + ".quotas.maxPerCreator", p.quotas.maxPerCreator, 0, 500);
        }
        range(source, at + ".maxImpressions", p.maxImpressions, 0, 64);
        if (p.freshness != null) {
            if (!(p.freshness.boost >= 0 && p.freshness.boost <= 10)) {
                throw new ConfigException(source, at + ".freshness.boost", "must be in [0, 10], got "
                        + p.freshness.boost);
            }
            if (!(p.freshness.halfLifeDays > 0)) {
                throw new ConfigException(source, at + ".freshness.halfLifeDays", "must be > 0, got "
                        + p.freshness.halfLifeDays);
            }
        }
        if (p.coldStart != null) {
            unit(source, at + ".coldStart.share", p.coldStart.share);
            if (!(p.coldStart.maxInteractions >= 0) || !(p.coldStart.maxAgeDays > 0)) {
                throw new ConfigException(source, at + ".coldStart", "maxInteractions must be >= 0 and maxAgeDays"
                        + " > 0");
            }
        }
        if (p.exploration != null) {
            final String method = p.exploration.method.toLowerCase(Locale.ROOT);
            if (!method.equals("thompson") && !method.equals("linucb")) {
                throw new ConfigException(source, at + ".exploration.method", "must be thompson or linucb, got '"
                        + p.exploration.method + "'");
            }
            range(source, at + ".exploration.slots", p.exploration.slots, 1, 100);
            if (!(p.exploration.alpha >= 0)) {
                throw new ConfigException(source, at + ".exploration.alpha", "must be >= 0");
            }
        }
        p.boostCategories.forEach((c, f) -> positive(source, at + ".boostCategories." + c, f));
        p.boostItems.forEach((i, f) -> positive(source, at + ".boostItems." + i, f));
    }

    private static void unit(final String source, final String key, final double value) {
        if (!(value >= 0 && value <= 1)) {
            throw new ConfigException(source, key, "must be in [0, 1], got " + value);
        }
    }

    private static void positive(final String source, final String key, final Double value) {
        if (value == null || !(value > 0) || value.isInfinite()) {
            throw new ConfigException(source, key, "must be a positive factor, got " + value);
        }
    }

    private static void range(final String source, final String key, final long value, final long min,
            final long max) {
        if (value < min || value > max) {
            throw new ConfigException(source, key, "must be " + min + ".." + max + ", got " + value);
        }
    }
}
