package dev.quark.benchmarks;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import dev.quark.benchmarks.crosssilo.CrossSiloWorkload;
import dev.quark.benchmarks.durabletasks.DurableTasksWorkload;
import dev.quark.benchmarks.eventsourcing.EventAppendsWorkload;
import dev.quark.benchmarks.outbox.OutboxDeliveryWorkload;
import dev.quark.benchmarks.outbox.OutboxWorkload;
import dev.quark.benchmarks.harness.CallingStyle;
import dev.quark.benchmarks.harness.ComparisonTable;
import dev.quark.benchmarks.harness.Figure;
import dev.quark.benchmarks.harness.RunMode;
import dev.quark.benchmarks.harness.Stats;
import dev.quark.benchmarks.jobs.JobsWorkload;
import dev.quark.benchmarks.pekko.PekkoContender;
import dev.quark.benchmarks.quark.ChurnWorkload;
import dev.quark.benchmarks.quark.FilteredCallBenchmark;
import dev.quark.benchmarks.quark.ProxyCallBenchmark;
import dev.quark.benchmarks.quark.QuarkContender;
import dev.quark.benchmarks.reminders.ReminderWorkload;
import dev.quark.benchmarks.ring.RingBalance;
import dev.quark.benchmarks.ring.RingLookupBenchmark;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;
import org.openjdk.jmh.util.Statistics;
import tools.jackson.core.type.TypeReference;
import tools.jackson.databind.SerializationFeature;
import tools.jackson.databind.json.JsonMapper;

/**
 * Runs every workload for Quark and Apache Pekko, each workload and contender in a JVM of its own with the
 * same flags, and writes one comparison table (markdown and JSON). Started by {@code benchmarks/run.sh}.
 * <pre>
 * BenchmarkMain --quick|--full --results DIR --jvm-flags "-Xms8g -Xmx8g ..." [--only WORKLOAD[,WORKLOAD]]
 * BenchmarkMain --child WORKLOAD CONTENDER --mode quick|full --out FILE
 * </pre>
 */
public final class BenchmarkMain {

    /**
     * The workloads in the order they run: those ending in {@code -async} call Quark in the {@link
     * CallingStyle#ASYNC asynchronous style}, the others in the blocking one; proxy-call, filtered-call and the
     * ring's lookups run under JMH, the ring's balance in this JVM; churn, reminders, jobs and durable-tasks measure Quark alone (jobs
     * with db-scheduler as its peer, durable-tasks and outbox with a raw JDBC insert rate as their reference, outbox-delivery with a raw
     * JDBC drain, event-appends with a raw insert and a raw XADD, all in Quark's JVM); cross-silo runs both calling styles itself, Quark with a raw gRPC echo as its reference in its
     * JVM, Pekko (remote, Artery) in its own.
     */
    static final List<String> WORKLOADS = List.of("request-response", "request-response-async", "one-way",
            "one-way-async", "idle-memory", "idle-memory-async", "churn", "proxy-call", "filtered-call", "ring",
            "reminders", "jobs", "durable-tasks", "outbox", "outbox-delivery", "event-appends", "cross-silo");

    /** The workloads that measure Quark alone. */
    private static final List<String> QUARK_ONLY = List.of("churn", "reminders", "jobs", "durable-tasks", "outbox",
            "outbox-delivery", "event-appends");

    private static final JsonMapper json = JsonMapper.builder().enable(SerializationFeature.INDENT_OUTPUT).build();

    private BenchmarkMain() {
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> options = parse(args);
        if (options.containsKey("child")) {
            runChild(options.get("child"), options.get("contender"), RunMode.named(options.get("mode")),
                    Path.of(options.get("out")));
            return;
        }
        RunMode mode = RunMode.named(options.getOrDefault("mode", "quick"));
        Path results = Path.of(options.getOrDefault("results", "benchmarks/results"));
        List<String> flags = Arrays.stream(options.getOrDefault("jvm-flags", "").split("\\s+"))
            .filter((flag) -> !flag.isEmpty())
            .toList();
        List<String> only = options.containsKey("only") ? List.of(options.get("only").split(",")) : WORKLOADS;
        for (String workload : only) {
            if (!WORKLOADS.contains(workload)) {
                throw new IllegalArgumentException("Unknown workload '" + workload + "': use one of " + WORKLOADS);
            }
        }
        double loadBefore = loadAverage();
        OffsetDateTime started = OffsetDateTime.now(ZoneOffset.UTC).truncatedTo(ChronoUnit.SECONDS);
        List<Figure> figures = new ArrayList<>();
        Path scratch = Files.createTempDirectory("quark-bench");
        for (String workload : WORKLOADS) {
            if (!only.contains(workload)) {
                continue;
            }
            if (workload.equals("proxy-call")) {
                System.err.println("proxy-call, quark (JMH)");
                figures.addAll(runJmh(ProxyCallBenchmark.class, PROXY_CALL_KEYS, mode, flags));
                continue;
            }
            if (workload.equals("filtered-call")) {
                System.err.println("filtered-call, quark (JMH)");
                figures.addAll(runJmh(FilteredCallBenchmark.class, FILTERED_CALL_KEYS, mode, flags));
                continue;
            }
            if (workload.equals("ring")) {
                System.err.println("ring, quark (JMH lookups, then balance)");
                figures.addAll(runJmh(RingLookupBenchmark.class, RING_KEYS, mode, flags));
                figures.addAll(RingBalance.run());
                continue;
            }
            for (String contender : QUARK_ONLY.contains(workload) ? List.of("quark") : List.of("quark", "pekko")) {
                figures.addAll(runForked(workload, contender, mode, flags, scratch));
            }
        }
        String name = options.containsKey("only") ? mode.name() + "-" + String.join("+", only) : mode.name();
        report(mode, name, flags, started, loadBefore, figures, results);
    }

    private static Map<String, String> parse(String[] args) {
        Map<String, String> options = new LinkedHashMap<>();
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--quick" -> options.put("mode", "quick");
                case "--full" -> options.put("mode", "full");
                case "--child" -> {
                    options.put("child", value(args, ++i, "--child"));
                    options.put("contender", value(args, ++i, "--child"));
                }
                case "--mode", "--out", "--results", "--jvm-flags", "--only" ->
                    options.put(args[i].substring(2), value(args, ++i, args[i]));
                default -> throw new IllegalArgumentException("Unknown argument '" + args[i] + "'");
            }
        }
        return options;
    }

    private static String value(String[] args, int index, String option) {
        if (index >= args.length) {
            throw new IllegalArgumentException(option + " needs a value");
        }
        return args[index];
    }

    private static List<Figure> runForked(String workload, String contender, RunMode mode, List<String> flags,
            Path scratch) throws IOException, InterruptedException {
        System.err.printf("%s, %s%n", workload, contender);
        Path out = scratch.resolve(workload + "-" + contender + ".json");
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(flags);
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), BenchmarkMain.class.getName(),
                "--child", workload, contender, "--mode", mode.name(), "--out", out.toString()));
        Process process = new ProcessBuilder(command).inheritIO().start();
        int exit = process.waitFor();
        if (exit != 0) {
            throw new IllegalStateException("The " + workload + " workload of " + contender + " failed (exit code "
                    + exit + "); its output is above");
        }
        return json.readValue(out.toFile(), new TypeReference<List<Figure>>() {
        });
    }

    private static void runChild(String workload, String contender, RunMode mode, Path out) throws Exception {
        List<Figure> figures;
        CallingStyle style = CallingStyle.of(workload);
        String base = CallingStyle.base(workload);
        if (workload.equals("churn")) {
            figures = ChurnWorkload.run(mode);
        }
        else if (workload.equals("reminders")) {
            figures = ReminderWorkload.run(mode);
        }
        else if (workload.equals("jobs")) {
            figures = JobsWorkload.run(mode);
        }
        else if (workload.equals("durable-tasks")) {
            figures = DurableTasksWorkload.run(mode);
        }
        else if (workload.equals("outbox")) {
            figures = OutboxWorkload.run(mode);
        }
        else if (workload.equals("outbox-delivery")) {
            figures = OutboxDeliveryWorkload.run(mode);
        }
        else if (workload.equals("event-appends")) {
            figures = EventAppendsWorkload.run(mode);
        }
        else if (workload.equals("cross-silo")) {
            figures = CrossSiloWorkload.run(contender, mode);
        }
        else if (base.equals("idle-memory")) {
            figures = Workloads.idleMemory(contender, () -> contender(contender), style, mode);
        }
        else {
            try (Contender subject = contender(contender)) {
                figures = switch (base) {
                    case "request-response" -> Workloads.requestResponse(contender, subject, style, mode);
                    case "one-way" -> Workloads.oneWay(contender, subject, style, mode);
                    default -> throw new IllegalArgumentException("Unknown workload '" + workload + "'");
                };
            }
        }
        json.writeValue(out.toFile(), figures);
        System.exit(0);
    }

    private static Contender contender(String name) {
        return switch (name) {
            case "quark" -> new QuarkContender();
            case "pekko" -> new PekkoContender();
            default -> throw new IllegalArgumentException("Unknown contender '" + name + "': use quark or pekko");
        };
    }

    /** The figure key of each benchmark method of {@link ProxyCallBenchmark}. */
    private static final Map<String, String> PROXY_CALL_KEYS = Map.of("directCall", "proxy.direct",
            "proxyCallFromPlatformThread", "proxy.platform", "proxyCallsFrom16PlatformThreads", "proxy.platform-16",
            "proxyCallFromVirtualThread", "proxy.virtual");

    /** The figure key of each benchmark method of {@link FilteredCallBenchmark}. */
    private static final Map<String, String> FILTERED_CALL_KEYS = Map.of("noFilter", "filtered.none",
            "passThroughFilters", "filtered.pass-through", "tracingWithoutSpan", "filtered.tracing-no-span",
            "tracingInSpan", "filtered.tracing-in-span");

    /** The figure key of each benchmark method of {@link RingLookupBenchmark}. */
    private static final Map<String, String> RING_KEYS = Map.of("hashAndLookup", "ring.hash-lookup", "lookup",
            "ring.lookup", "hash", "ring.hash");

    private static List<Figure> runJmh(Class<?> benchmark, Map<String, String> keys, RunMode mode, List<String> flags)
            throws Exception {
        TimeValue time = TimeValue.milliseconds(mode.jmhTime().toMillis());
        OptionsBuilder options = new OptionsBuilder();
        options.include(benchmark.getName() + "\\.")
            .forks(1)
            .jvmArgs(flags.toArray(String[]::new))
            .warmupIterations(mode.jmhWarmups())
            .warmupTime(time)
            .measurementIterations(mode.jmhIterations())
            .measurementTime(time);
        List<Figure> figures = new ArrayList<>();
        for (RunResult result : new Runner(options.build()).run()) {
            String method = result.getParams().getBenchmark();
            String key = keys.get(method.substring(method.lastIndexOf('.') + 1));
            if (key == null) {
                throw new IllegalStateException("Unexpected benchmark " + method);
            }
            Statistics statistics = result.getPrimaryResult().getStatistics();
            figures.add(new Figure(key, "quark",
                    new Stats(statistics.getMin(), statistics.getPercentile(50), statistics.getMax())));
        }
        return figures;
    }

    /**
     * Writes the table to {@code latest-<name>.md} and {@code .json} and a dated copy under {@code raw/}: the name is
     * the mode's, followed by the workloads of an {@code --only} run, so that a subset never replaces a whole run.
     */
    private static void report(RunMode mode, String name, List<String> flags, OffsetDateTime started,
            double loadBefore, List<Figure> figures, Path results) throws IOException {
        double loadAfter = loadAverage();
        int cores = Runtime.getRuntime().availableProcessors();
        String jdk = System.getProperty("java.vm.vendor") + " " + System.getProperty("java.vm.name") + " "
                + Runtime.version();
        String markdown = "# Quark and Apache Pekko, " + mode.name() + " run\n\n"
                + "- Date: " + started + "\n"
                + "- JDK: " + jdk + "\n"
                + "- JVM flags (both): `" + String.join(" ", flags) + "`\n"
                + "- Machine: " + cores + " cores, " + System.getProperty("os.name") + " "
                + System.getProperty("os.arch") + String.format(Locale.ROOT,
                        ", load average %.2f before and %.2f after the run", loadBefore, loadAfter) + "\n"
                + "- Pekko: pekko-actor-typed_2.13 " + org.apache.pekko.Version.current() + ", default dispatcher"
                + (figures.stream().anyMatch((figure) -> figure.key().contains("crosssilo."))
                        ? "; cross-silo: pekko-remote_2.13, Artery TCP on 127.0.0.1" : "") + "\n"
                + "- Iterations of the JMH workloads: " + mode.warmups() + " warm-up, " + mode.iterations()
                + " measured; the workloads that drive servers (jobs, reminders, durable tasks, outbox, event appends)"
                + " run their own warm-up and measured rounds, given in docs/performance.md; each cell is the median of"
                + " the measured ones, with their min–max\n\n"
                + ComparisonTable.markdown(figures);
        Map<String, Object> document = new LinkedHashMap<>();
        document.put("date", started.toString());
        document.put("mode", mode.name());
        document.put("jdk", jdk);
        document.put("jvmFlags", flags);
        document.put("cores", cores);
        document.put("loadAverageBefore", loadBefore);
        document.put("loadAverageAfter", loadAfter);
        document.put("pekkoVersion", org.apache.pekko.Version.current());
        document.put("rows", ComparisonTable.rows(figures));
        Path raw = results.resolve("raw");
        Files.createDirectories(raw);
        String stamp = name + "-" + started.format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"));
        Files.writeString(raw.resolve(stamp + ".md"), markdown);
        json.writeValue(raw.resolve(stamp + ".json").toFile(), document);
        Files.writeString(results.resolve("latest-" + name + ".md"), markdown);
        json.writeValue(results.resolve("latest-" + name + ".json").toFile(), document);
        System.out.println();
        System.out.println(markdown);
        System.out.println("Written to " + results.resolve("latest-" + name + ".md") + " and "
                + raw.resolve(stamp + ".json"));
    }

    private static double loadAverage() {
        return ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
    }
}
