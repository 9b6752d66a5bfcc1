package dev.quark.benchmarks.harness;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import dev.quark.benchmarks.crosssilo.CrossSiloWorkload;
import dev.quark.benchmarks.durabletasks.DurableTasksWorkload;
import dev.quark.benchmarks.eventsourcing.EventAppendsWorkload;
import dev.quark.benchmarks.outbox.OutboxDeliveryWorkload;
import dev.quark.benchmarks.outbox.OutboxWorkload;
import dev.quark.benchmarks.jobs.JobsWorkload;
import dev.quark.benchmarks.reminders.ReminderWorkload;
import dev.quark.benchmarks.ring.RingBalance;
import org.jspecify.annotations.Nullable;

/**
 * The rows of the comparison: what each figure means, its unit, and the goal Quark is measured against.
 */
public final class ComparisonTable {

    /**
     * A goal: a bound on Quark's figure ({@code ABSOLUTE}) or on its ratio to Pekko's ({@code RATIO}).
     */
    public record Goal(boolean ratio, boolean atLeast, double bound) {

        boolean met(double quark, @Nullable Double ratioToPeer) {
            double value = this.ratio ? ((ratioToPeer != null) ? ratioToPeer : Double.NaN) : quark;
            return this.atLeast ? value >= this.bound : value <= this.bound;
        }

        @Override
        public String toString() {
            return (this.atLeast ? "≥ " : "≤ ") + format(this.bound) + (this.ratio ? "× Pekko" : "");
        }
    }

    /** One line of the table. */
    public record Row(String key, String label, String unit, boolean higherIsBetter, @Nullable Goal goal) {
    }

    /**
     * The rows in table order: each workload in the blocking style, then in the asynchronous one (keys
     * prefixed {@code async.}; request/response twice, the second time with the callers on platform
     * threads), with the same goals in every style.
     */
    public static final List<Row> ROWS = rows();

    private static List<Row> rows() {
        List<Row> rows = new ArrayList<>();
        requestResponseRows(rows, "rr.", "blocking callers");
        requestResponseRows(rows, "async.rr.", "async callers");
        requestResponseRows(rows, "async.platform.rr.",
                "async callers on " + RunMode.ASYNC_CALLER_THREADS + " platform threads");
        for (CallingStyle style : CallingStyle.values()) {
            String label = (style == CallingStyle.ASYNC) ? "One-way, 10 M unawaited async calls to 1,000 actors"
                    : "One-way, 10 M messages to 1,000 actors";
            rows.add(new Row(style.key("oneway.rate"), label, "messages/s", true, new Goal(true, true, 1.0)));
        }
        for (CallingStyle style : CallingStyle.values()) {
            String firstCalls = (style == CallingStyle.ASYNC)
                    ? "async first calls from " + RunMode.ASYNC_ACTIVATION_PRODUCERS + " threads"
                    : "first calls from " + RunMode.ACTIVATION_PRODUCERS + " threads";
            rows.add(new Row(style.key("idle.bytes"), "Memory per idle actor (1 M actors, " + firstCalls + ")", "bytes",
                    false, new Goal(false, false, 200)));
            rows.add(new Row(style.key("idle.rate"), "Activation rate (1 M actors, " + firstCalls + ")", "actors/s",
                    true, new Goal(false, true, 1_000_000)));
        }
        rows.add(new Row("churn.rate", "Activation with idle collection running", "activations/s", true, null));
        rows.add(new Row("churn.deactivations", "  deactivations meanwhile", "deactivations/s", true, null));
        rows.add(new Row("proxy.platform", "Uncontended call, platform-thread caller", "ns/call", false, null));
        rows.add(new Row("proxy.platform-16", "Calls from 16 platform threads at once, an actor each, per caller",
                "ns/call", false, null));
        rows.add(new Row("proxy.virtual", "Uncontended call, virtual-thread caller", "ns/call", false, null));
        rows.add(new Row("proxy.direct", "Direct method call, for scale", "ns/call", false, null));
        rows.add(new Row("filtered.none", "Uncontended call, virtual-thread caller, no filter", "ns/call", false, null));
        rows.add(new Row("filtered.pass-through", "The same through a pass-through outgoing and incoming filter",
                "ns/call", false, null));
        rows.add(new Row("filtered.tracing-no-span", "The same through Quark's tracing filters, no span current",
                "ns/call", false, null));
        rows.add(new Row("filtered.tracing-in-span",
                "The same inside a span: a CLIENT and a SERVER span per call (sampled, not exported)", "ns/call", false,
                null));
        rows.add(new Row("ring.hash-lookup", "Hash ring, owner of an actor address (100 silos × 150 points)", "ns/op",
                false, null));
        rows.add(new Row("ring.lookup", "  lookup of a hash alone", "ns/op", false, null));
        rows.add(new Row("ring.hash", "  hash of an address alone", "ns/op", false, null));
        for (int silos : RingBalance.SILO_COUNTS) {
            rows.add(new Row("ring.balance." + silos, "Hash ring, max/mean load, 1 M keys, " + silos + " silos × "
                    + RingBalance.VIRTUAL_NODES + " points (" + RingBalance.ID_SETS + " sets of silo ids)", "ratio",
                    false, new Goal(false, false, 1.10)));
        }
        for (int points : RingBalance.MORE_VIRTUAL_NODES) {
            rows.add(new Row("ring.balance.100.v" + points, "  the same, 100 silos × " + points + " points", "ratio",
                    false, new Goal(false, false, 1.10)));
        }
        rows.add(new Row("ring.moved", "Hash ring, keys moved when a 4th silo joins 3 (ideal 0.25)", "fraction",
                false, null));
        rows.add(new Row("ring.moved.between-old", "  keys moved between the 3 old silos", "keys", false,
                new Goal(false, false, 0)));
        reminderRows(rows);
        jobRows(rows);
        durableTaskRows(rows);
        outboxRows(rows);
        outboxDeliveryRows(rows);
        eventAppendRows(rows);
        crossSiloRows(rows);
        return List.copyOf(rows);
    }

    /**
     * The reminders workload's rows: per table and number of silos, ticks fired per second (goals of 50,000 on
     * Redis and 20,000 on PostgreSQL), their lateness (goal: p99 at most 20 ms), and the table's writes.
     */
    private static void reminderRows(List<Row> rows) {
        for (String configuration : ReminderWorkload.CONFIGURATIONS.split(",")) {
            boolean three = configuration.endsWith("-3");
            String backend = three ? configuration.substring(0, configuration.length() - 2) : configuration;
            String key = "reminders." + backend + (three ? ".3" : ".1");
            String due = String.format(Locale.ROOT, "%,.0f", ReminderWorkload.offeredRate(backend));
            String label = switch (backend) {
                case "redis" -> "Redis";
                case "postgres" -> "PostgreSQL";
                default -> "in-memory";
            };
            Goal rate = switch (backend) {
                case "redis" -> new Goal(false, true, 50_000);
                case "postgres" -> new Goal(false, true, 20_000);
                default -> null;
            };
            rows.add(new Row(key + ".rate", "Reminders fired, " + String.format(Locale.ROOT, "%,d",
                    ReminderWorkload.REMINDERS) + " periodic (" + due + " due/s), " + label + " table, "
                    + (three ? "3 silos" : "1 silo"), "ticks/s", true, rate));
            rows.add(new Row(key + ".p50", "  lateness p50", "ms", false, null));
            rows.add(new Row(key + ".p99", "  lateness p99", "ms", false, new Goal(false, false, 20)));
            rows.add(new Row(key + ".writes", "  next ticks written to the table", "writes/s", true, null));
            rows.add(new Row(key + ".batch", "  writes per batch", "writes", true, null));
            rows.add(new Row(key + ".rowsRead", "  reminders read by refreshes per window", "reminders", false, null));
            rows.add(new Row(key + ".register", "  registrations (before the measurement)", "reminders/s", true, null));
            rows.add(new Row(key + ".catchUp", "  catch-up after the start (before the measurement)", "s", false, null));
        }
    }

    /**
     * The jobs workload's rows: jobs run per second on each backend and db-scheduler's on the same PostgreSQL (goal:
     * quark-jobs at least 1.5× db-scheduler), and the enqueue rates.
     */
    private static void jobRows(List<Row> rows) {
        String jobs = String.format(Locale.ROOT, "%d workers, %,d no-op jobs waiting (%,d in full runs)",
                JobsWorkload.WORKERS, JobsWorkload.jobs(RunMode.named("quick")), JobsWorkload.jobs(RunMode.named("full")));
        for (String configuration : JobsWorkload.CONFIGURATIONS.split(",")) {
            String label = switch (configuration) {
                case "redis" -> "Jobs run end to end, quark-jobs on Redis";
                case "postgres" -> "Jobs run end to end, quark-jobs on PostgreSQL";
                case "db-scheduler" -> "Jobs run end to end, db-scheduler " + dbSchedulerVersion()
                        + " on PostgreSQL (lock-and-fetch, peer)";
                default -> "Jobs run end to end, quark-jobs in memory";
            };
            rows.add(new Row("jobs." + configuration + ".rate", label + ", " + jobs, "jobs/s", true, null));
            rows.add(new Row("jobs." + configuration + ".enqueue", "  enqueued, one call per job from "
                    + JobsWorkload.ENQUEUERS + " threads", "jobs/s", true, null));
            if (!configuration.equals("db-scheduler")) {
                rows.add(new Row("jobs." + configuration + ".per-claim", "  jobs per claim of due jobs", "jobs", true,
                        null));
                rows.add(new Row("jobs." + configuration + ".claim-ms", "  time per claim of due jobs", "ms", false,
                        null));
            }
        }
        rows.add(new Row("jobs.postgres.vs-db-scheduler", "Jobs run, quark-jobs / db-scheduler on PostgreSQL", "ratio",
                true, new Goal(false, true, 1.5)));
    }

    /** db-scheduler's version, read from its jar's manifest when it has one. */
    private static String dbSchedulerVersion() {
        String version = com.github.kagkarlsson.scheduler.Scheduler.class.getPackage().getImplementationVersion();
        return (version != null) ? version : "16.7.1";
    }

    /**
     * The durable-tasks workload's rows: per orchestration shape, instances and activities completed per second on
     * PostgreSQL, the raw JDBC insert rate of the same rows, and their ratio (goal: at least 0.5).
     */
    private static void durableTaskRows(List<Row> rows) {
        for (String shape : DurableTasksWorkload.SHAPES.split(",")) {
            String what = shape.equals("sequence") ? "5-activity sequence" : "100-wide fan-out";
            String key = "durable." + shape;
            rows.add(new Row(key + ".rate", "Durable tasks, " + what + " on PostgreSQL ("
                    + DurableTasksWorkload.instances(shape, RunMode.named("quick")) + " instances in quick runs)",
                    "orchestrations/s", true, null));
            rows.add(new Row(key + ".activities", "  activities completed", "activities/s", true, null));
            rows.add(new Row(key + ".raw", "  raw JDBC insert of the same rows (physical reference)", "orchestrations/s",
                    true, null));
            rows.add(new Row(key + ".vs-raw", "  Quark / raw JDBC", "ratio", true, new Goal(false, true, 0.5)));
        }
    }

    /**
     * The outbox workload's rows: messages enqueued per second on PostgreSQL, one per transaction, the raw JDBC
     * insert rate of the same rows, and their ratio (goal: at least 0.8).
     */
    private static void outboxRows(List<Row> rows) {
        rows.add(new Row("outbox.postgres.rate", "Outbox, messages enqueued on PostgreSQL, one per transaction ("
                + OutboxWorkload.THREADS_LABEL + ")", "messages/s", true, null));
        rows.add(new Row("outbox.postgres.raw", "  raw JDBC insert of the same rows (physical reference)",
                "messages/s", true, null));
        rows.add(new Row("outbox.postgres.vs-raw", "  Quark / raw JDBC", "ratio", true, new Goal(false, true, 0.8)));
    }

    /**
     * The outbox-delivery workload's rows, per store: messages a running dispatcher delivers per second from a backlog,
     * with a receiver answering at once and with one taking {@link OutboxDeliveryWorkload#LATENCY} a message; how far
     * the partitions ran apart with the slow one (receivers busy at once, the ratio to the ideal); the share of the
     * drain a partition with messages due waited for a round; on PostgreSQL a raw JDBC drain of the same rows. No
     * goal: issue 15 sets none for deliveries.
     */
    private static void outboxDeliveryRows(List<Row> rows) {
        int partitions = OutboxDeliveryWorkload.PARTITIONS;
        String latency = OutboxDeliveryWorkload.LATENCY.toMillis() + " ms";
        String ideal = String.format(Locale.ROOT, "%d partitions × %,.0f/s, at most the rate at once", partitions,
                1e9 / OutboxDeliveryWorkload.LATENCY.toNanos());
        String waiting = "  share of the drain a partition with messages due waited for a round";
        for (String store : OutboxDeliveryWorkload.STORES.split(",")) {
            String key = "outboxdelivery." + store;
            boolean postgres = store.equals("postgres");
            rows.add(new Row(key + ".instant.rate", "Outbox delivery on " + (postgres ? "PostgreSQL" : "Redis") + ", "
                    + String.format(Locale.ROOT, "%,d", OutboxDeliveryWorkload.messages(store, RunMode.named("quick")))
                    + " messages pending over " + partitions + " partitions (" + String.format(Locale.ROOT, "%,d",
                            OutboxDeliveryWorkload.messages(store, RunMode.named("full")))
                    + " in full runs) drained by one running dispatcher (poll interval "
                    + OutboxDeliveryWorkload.pollInterval().toMillis() + " ms), receiver answering at once", "messages/s",
                    true, null));
            if (postgres) {
                rows.add(new Row(key + ".instant.raw", "  raw JDBC drain of the same rows, a thread per partition "
                        + "(physical reference)", "messages/s", true, null));
                rows.add(new Row(key + ".instant.vs-raw", "  Quark / raw JDBC", "ratio", true, null));
            }
            rows.add(new Row(key + ".instant.waiting", waiting, "fraction", false, null));
            rows.add(new Row(key + ".slow.rate", "  receiver taking " + latency + " a message (parked)", "messages/s",
                    true, null));
            rows.add(new Row(key + ".slow.receiver-ms", "  receiver's measured time a message", "ms", false, null));
            rows.add(new Row(key + ".slow.busy", "  receivers busy at once (at most " + partitions + ")", "receivers",
                    true, null));
            rows.add(new Row(key + ".slow.vs-ideal", "  / ideal with the partitions apart (" + ideal + ")", "ratio",
                    true, null));
            if (postgres) {
                rows.add(new Row(key + ".slow.raw", "  raw JDBC drain, receiver taking " + latency, "messages/s", true,
                        null));
                rows.add(new Row(key + ".slow.vs-raw", "  Quark / raw JDBC, receiver taking " + latency, "ratio", true,
                        null));
            }
            rows.add(new Row(key + ".slow.waiting", waiting, "fraction", false, null));
        }
    }

    /**
     * The event-appends workload's rows, per store: events appended per second through Quark's event store, one event
     * per append, the raw rate of the same writes (a JDBC insert, one transaction each; a Lettuce XADD), and their
     * ratio (goal: at least 0.8); on PostgreSQL also against a raw insert in auto-commit mode (one round trip), the
     * cheapest way to write the row, since issue 15 does not say which raw insert it means.
     */
    private static void eventAppendRows(List<Row> rows) {
        for (String store : EventAppendsWorkload.STORES.split(",")) {
            String key = "eventappends." + store;
            boolean postgres = store.equals("postgres");
            rows.add(new Row(key + ".rate", "Event appends on " + (postgres ? "PostgreSQL" : "Redis Streams")
                    + ", one event per append with its expected version (" + EventAppendsWorkload.THREADS_LABEL + ")",
                    "events/s", true, null));
            rows.add(new Row(key + ".raw", postgres ? "  raw JDBC insert of the same rows, one transaction each"
                    : "  raw XADD (Lettuce) of the same entries", "events/s", true, null));
            rows.add(new Row(key + ".vs-raw", postgres ? "  Quark / raw JDBC" : "  Quark / raw XADD", "ratio", true,
                    new Goal(false, true, 0.8)));
            if (postgres) {
                rows.add(new Row(key + ".raw-autocommit", "  raw JDBC insert of the same rows in auto-commit mode",
                        "events/s", true, null));
                rows.add(new Row(key + ".vs-raw-autocommit", "  Quark / raw JDBC in auto-commit mode", "ratio", true,
                        new Goal(false, true, 0.8)));
            }
        }
    }

    /**
     * The cross-silo workload's rows, per calling style and calls in flight: Quark between two silos over gRPC
     * against Pekko's remote ask over Artery (goal: at least 2× its rate), and against a raw gRPC echo of the same
     * payload measured in Quark's JVM (goal: at least 0.7× its rate).
     */
    private static void crossSiloRows(List<Row> rows) {
        for (CallingStyle style : CallingStyle.values()) {
            String callers = (style == CallingStyle.ASYNC) ? "async callers" : "blocking callers";
            for (int inFlight : CrossSiloWorkload.IN_FLIGHT) {
                String key = style.key("crosssilo." + inFlight);
                rows.add(new Row(key + ".rate", "Cross-silo request/response on loopback (" + CrossSiloWorkload.PAYLOAD_BYTES
                        + " B), " + inFlight + " in flight, " + callers, "calls/s", true, new Goal(true, true, 2.0)));
                rows.add(new Row(key + ".p50", "  p50 latency", "µs", false, null));
                rows.add(new Row(key + ".p99", "  p99 latency", "µs", false, null));
                rows.add(new Row(key + ".raw.rate", "  raw gRPC bidi-stream echo, same payload and run", "calls/s",
                        true, null));
                rows.add(new Row(key + ".raw.p50", "  raw gRPC p50 latency", "µs", false, null));
                rows.add(new Row(key + ".raw.p99", "  raw gRPC p99 latency", "µs", false, null));
                rows.add(new Row(key + ".vs-raw", "  Quark / raw gRPC", "ratio", true, new Goal(false, true, 0.7)));
            }
        }
    }

    private static void requestResponseRows(List<Row> rows, String keyPrefix, String callers) {
        for (int inFlight : RunMode.IN_FLIGHT) {
            rows.add(new Row(keyPrefix + inFlight + ".rate", "Request/response, " + inFlight + " in flight, " + callers,
                    "calls/s", true, (inFlight == 256) ? new Goal(true, true, 1.5) : null));
            rows.add(new Row(keyPrefix + inFlight + ".p50", "  p50 latency, " + inFlight + " in flight", "µs", false,
                    null));
            rows.add(new Row(keyPrefix + inFlight + ".p99", "  p99 latency, " + inFlight + " in flight", "µs", false,
                    (inFlight == 16) ? new Goal(true, false, 1.0) : null));
        }
    }

    private ComparisonTable() {
    }

    /** A row with the figures of both contenders and Quark's ratio to Pekko. */
    private record Line(Row row, Stats quark, @Nullable Stats pekko, @Nullable Double ratio) {

        @Nullable Boolean met() {
            return (this.row.goal() != null) ? this.row.goal().met(this.quark.median(), this.ratio) : null;
        }
    }

    private static List<Line> lines(List<Figure> figures) {
        List<Line> lines = new ArrayList<>();
        for (Row row : ROWS) {
            Stats quark = find(figures, row.key(), "quark");
            if (quark != null) {
                Stats pekko = find(figures, row.key(), "pekko");
                Double ratio = (pekko != null && pekko.median() != 0) ? quark.median() / pekko.median() : null;
                lines.add(new Line(row, quark, pekko, ratio));
            }
        }
        return lines;
    }

    /**
     * Joins the figures of both contenders into rows, in table order.
     */
    public static List<Map<String, Object>> rows(List<Figure> figures) {
        List<Map<String, Object>> rows = new ArrayList<>();
        for (Line line : lines(figures)) {
            Row row = line.row();
            Map<String, Object> json = new LinkedHashMap<>();
            json.put("key", row.key());
            json.put("label", row.label().strip());
            json.put("unit", row.unit());
            json.put("higherIsBetter", row.higherIsBetter());
            json.put("quark", line.quark());
            json.put("pekko", line.pekko());
            json.put("ratio", line.ratio());
            json.put("goal", (row.goal() != null) ? row.goal().toString() : null);
            json.put("met", line.met());
            rows.add(json);
        }
        return rows;
    }

    /**
     * Renders the rows as a markdown table: medians, with the min–max range beside Quark's and Pekko's.
     */
    public static String markdown(List<Figure> figures) {
        StringBuilder table = new StringBuilder();
        table.append("| Workload | Unit | Quark median (min–max) | Pekko median (min–max) | Quark / Pekko | Goal | |\n");
        table.append("|---|---|---:|---:|---:|---|---|\n");
        for (Line line : lines(figures)) {
            Row row = line.row();
            Boolean met = line.met();
            table.append("| ").append(row.label().startsWith("  ") ? "&nbsp;&nbsp;" + row.label().strip() : row.label())
                .append(" | ").append(row.unit())
                .append(" | ").append(cell(line.quark(), row.unit()))
                .append(" | ").append((line.pekko() != null) ? cell(line.pekko(), row.unit()) : "–")
                .append(" | ").append((line.ratio() != null) ? String.format(Locale.ROOT, "%.2f×", line.ratio()) : "–")
                .append(" | ").append((row.goal() != null) ? row.goal().toString() : "")
                .append(" | ").append((met == null) ? "" : (met ? "met" : "**not met**"))
                .append(" |\n");
        }
        return table.toString();
    }

    private static @Nullable Stats find(List<Figure> figures, String key, String contender) {
        for (Figure figure : figures) {
            if (figure.key().equals(key) && figure.contender().equals(contender)) {
                return figure.stats();
            }
        }
        return null;
    }

    private static String cell(Stats stats, String unit) {
        return format(stats.median(), unit) + " (" + format(stats.min(), unit) + "–" + format(stats.max(), unit) + ")";
    }

    /** Ratios and fractions near 1 differ in the third decimal; every other unit is formatted by magnitude. */
    private static String format(double value, String unit) {
        return switch (unit) {
            case "ratio" -> String.format(Locale.ROOT, "%.3f", value);
            case "fraction" -> String.format(Locale.ROOT, "%.4f", value);
            default -> format(value);
        };
    }

    static String format(double value) {
        if (Math.abs(value) >= 1000) {
            return String.format(Locale.ROOT, "%,.0f", value);
        }
        if (Math.abs(value) >= 10) {
            return String.format(Locale.ROOT, "%.1f", value);
        }
        return String.format(Locale.ROOT, "%.2f", value);
    }
}
