package dev.quark.benchmarks.reminders;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;

import dev.quark.actor.ReminderSchedule;
import dev.quark.benchmarks.Workloads;
import dev.quark.benchmarks.harness.Figure;
import dev.quark.benchmarks.harness.RunMode;
import dev.quark.benchmarks.harness.Stats;
import dev.quark.reminder.ReminderSettings;
import dev.quark.reminder.ReminderTickManager;
import dev.quark.runtime.ActorAddress;
import org.HdrHistogram.Histogram;

/**
 * Quark only: {@value #REMINDERS} periodic reminders, one per actor, each ticking every {@link #period(String)}
 * (so {@value #REMINDERS} / period ticks fall due per second: a little over the goal for the table, 52,632/s
 * on Redis and in memory, 25,000/s on PostgreSQL, so that firing every due tick meets it), registered through the reminder registry of the silo
 * that fires them, on the in-memory, Redis and PostgreSQL tables with one silo and with three. The reminders are registered before the tick managers start (their first ticks spread over
 * one period after the registrations began: those already past fire at once when the managers start, then every
 * tick is on its schedule), then the managers read them all. The registrations take several periods, so the managers
 * start with most reminders overdue and catch up first (as a silo restarted after a while does); the measurement
 * waits until they have ({@value #CAUGHT_UP_SECONDS} seconds in a row in which no tick started more than one period
 * late and fewer than a tenth of the reminders had a tick in delivery, at most {@link #CATCH_UP_TIMEOUT}), reports
 * how long that took from the start, then runs the warm-up windows and the
 * measured ones, so that these show the steady state the goals are about. Each window after the warm-up reports the ticks
 * whose turn ran per second, their lateness (from the scheduled instant to the start of the turn: p50 and p99),
 * the next ticks written to the table per second and how many went in one batch, and how many reminders the
 * refreshes read from the table in the window (entries and changes; with the default full-read interval of 5
 * minutes, a window between two full reads shows what the reads of changes cost). The tick managers run with the
 * default settings but a load limit of {@value #REMINDERS}: a silo whose reminders all fall due within the
 * lookahead must be able to read them all at once.
 * <p>
 * {@code QUARK_BENCH_REMINDERS} picks some of the configurations ({@value #CONFIGURATIONS}), for instance
 * {@code redis,redis-3}. A configuration whose server cannot be reached is reported and left out of the table.
 */
public final class ReminderWorkload {

    /** The longest wait for the managers to catch up with the ticks that fell due during the registrations. */
    private static final Duration CATCH_UP_TIMEOUT = Duration.ofMinutes(2);

    /** Seconds in a row without a tick more than one period late that count as caught up. */
    private static final int CAUGHT_UP_SECONDS = 3;

    /** Reminders registered, one per actor. */
    public static final int REMINDERS = 100_000;

    /** The period every configuration uses when {@code QUARK_BENCH_REMINDER_PERIOD} (a duration such as {@code 10s}) is set. */
    private static final Duration CONFIGURED_PERIOD = configuredPeriod();

    /** The configurations, in the order they run: a backend, and {@code -3} for three silos. */
    public static final String CONFIGURATIONS = "memory,redis,postgres,memory-3,redis-3,postgres-3";

    /** How long the tick managers may take to claim their buckets and read the table. */
    private static final Duration LOAD_TIMEOUT = Duration.ofMinutes(2);

    /** Registrations in flight at once. */
    private static final int REGISTERING = 64;

    private ReminderWorkload() {
    }

    private static Duration configuredPeriod() {
        String period = System.getenv("QUARK_BENCH_REMINDER_PERIOD");
        return (period == null || period.isBlank()) ? null
                : Duration.parse("PT" + period.strip().toUpperCase(Locale.ROOT));
    }

    /**
     * Returns the period of every reminder on a table: {@code QUARK_BENCH_REMINDER_PERIOD} when set, otherwise 4 s on
     * PostgreSQL (25,000 due/s, its goal 20,000 fired/s) and 1.9 s on the others (52,632 due/s, Redis's goal 50,000).
     * @param backend the table's key ({@code memory}, {@code redis}, {@code postgres})
     * @return the period
     */
    public static Duration period(String backend) {
        if (CONFIGURED_PERIOD != null) {
            return CONFIGURED_PERIOD;
        }
        return backend.equals("postgres") ? Duration.ofSeconds(4) : Duration.ofMillis(1_900);
    }

    /**
     * Returns the ticks that fall due per second on a table.
     * @param backend the table's key
     * @return ticks due per second
     */
    public static double offeredRate(String backend) {
        return REMINDERS * 1000.0 / period(backend).toMillis();
    }

    public static List<Figure> run(RunMode mode) throws Exception {
        String chosen = System.getenv("QUARK_BENCH_REMINDERS");
        List<String> configurations = List.of(((chosen != null && !chosen.isBlank()) ? chosen : CONFIGURATIONS).split(","));
        List<Figure> figures = new ArrayList<>();
        for (String configuration : configurations) {
            boolean three = configuration.endsWith("-3");
            ReminderBackend backend = ReminderBackend.valueOf(
                    configuration.substring(0, configuration.length() - (three ? 2 : 0)).toUpperCase(Locale.ROOT));
            try {
                figures.addAll(run(mode, backend, three));
            }
            catch (InterruptedException ex) {
                throw ex;
            }
            catch (Exception ex) {
                // A server that is not there costs its rows, not the figures of the whole run.
                Throwable cause = ex;
                while (cause.getCause() != null) {
                    cause = cause.getCause();
                }
                Workloads.progress("quark", "reminders, %s: not measured: %s (%s)", configuration, ex, cause);
            }
        }
        return figures;
    }

    private static List<Figure> run(RunMode mode, ReminderBackend backend, boolean three) throws Exception {
        String key = "reminders." + backend.key() + (three ? ".3" : ".1");
        String what = backend.label() + ", " + (three ? "3 silos" : "1 silo");
        TickLog log = new TickLog();
        try (ReminderBackend.OpenTable open = backend.open()) {
            CountingReminderTable table = new CountingReminderTable(open.table());
            ReminderSettings settings = settings();
            try (Silos silos = three ? new ThreeSilos(table, log, settings) : new OneSilo(table, log, settings)) {
                double registered = register(silos, period(backend.key()));
                Workloads.progress("quark", "reminders, %s: %,d registered at %,.0f/s", what, REMINDERS, registered);
                long start = System.nanoTime();
                silos.start();
                while (silos.stats().waiting() + silos.stats().running() < REMINDERS) {
                    if (System.nanoTime() - start > LOAD_TIMEOUT.toNanos()) {
                        throw new IllegalStateException("The tick managers did not load the " + REMINDERS
                                + " reminders within " + LOAD_TIMEOUT + ": " + silos.stats());
                    }
                    Thread.sleep(20);
                }
                Workloads.progress("quark", "reminders, %s: loaded by the tick managers in %.1f s", what,
                        (System.nanoTime() - start) / 1e9);
                double caughtUp = catchUp(what, silos, log, period(backend.key()), start);
                List<Figure> figures = new ArrayList<>(
                        measure(key, what, mode, silos, table, log, registered, offeredRate(backend.key())));
                figures.add(new Figure(key + ".catchUp", "quark", new Stats(caughtUp, caughtUp, caughtUp)));
                return figures;
            }
        }
    }

    /**
     * Waits until the managers have caught up with the ticks that fell due while the reminders were registered:
     * {@value #CAUGHT_UP_SECONDS} seconds in a row in which ticks ran, none started more than one period late and
     * fewer than a tenth of the reminders had a tick being delivered. Past {@link #CATCH_UP_TIMEOUT} it says so and
     * the measurement goes on, so that the windows show how far behind the managers are.
     * @return the seconds from the managers' start until then, or until the timeout
     */
    private static double catchUp(String what, Silos silos, TickLog log, Duration period, long start)
            throws InterruptedException {
        long periodMicros = period.toNanos() / 1_000;
        int calm = 0;
        log.interval();
        while (true) {
            Thread.sleep(1_000);
            Histogram second = log.interval();
            long running = silos.stats().running();
            double seconds = (System.nanoTime() - start) / 1e9;
            boolean onTime = second.getTotalCount() > 0 && second.getMaxValue() <= periodMicros
                    && running < REMINDERS / 10;
            calm = onTime ? calm + 1 : 0;
            if (calm == CAUGHT_UP_SECONDS) {
                Workloads.progress("quark", "reminders, %s: caught up %.1f s after the start", what, seconds);
                return seconds;
            }
            if (seconds > CATCH_UP_TIMEOUT.toSeconds()) {
                Workloads.progress("quark", "reminders, %s: not caught up within %s (in the last second ticks started "
                        + "up to %,d ms late, %,d being delivered): measuring anyway", what, CATCH_UP_TIMEOUT,
                        second.getMaxValue() / 1_000, running);
                return seconds;
            }
        }
    }

    /** Registers the reminders, their first ticks spread over one period from one period on; returns the rate. */
    /**
     * The default settings with a load limit of {@value #REMINDERS}; {@code QUARK_BENCH_REMINDER_REFRESH} (a
     * duration such as {@code 60s}) sets another refresh interval, with a lookahead twice as long, and {@code
     * QUARK_BENCH_REMINDER_MAX_BATCH} another most writes per batch ({@code quark.reminders.max-batch}).
     */
    private static ReminderSettings settings() {
        ReminderSettings.Builder settings = ReminderSettings.builder().loadLimit(REMINDERS);
        String maxBatch = System.getenv("QUARK_BENCH_REMINDER_MAX_BATCH");
        if (maxBatch != null && !maxBatch.isBlank()) {
            settings.maxBatch(Integer.parseInt(maxBatch.strip()));
        }
        String refresh = System.getenv("QUARK_BENCH_REMINDER_REFRESH");
        if (refresh != null && !refresh.isBlank()) {
            Duration interval = Duration.parse("PT" + refresh.strip().toUpperCase(Locale.ROOT));
            settings.lookahead(interval.multipliedBy(2)).refreshInterval(interval);
        }
        return settings.build();
    }

    private static double register(Silos silos, Duration period) throws Exception {
        long start = System.nanoTime();
        Instant first = Instant.now().plus(period);
        Semaphore inFlight = new Semaphore(REGISTERING);
        List<Future<?>> registrations = new ArrayList<>(REMINDERS);
        try (ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int i = 0; i < REMINDERS; i++) {
                ActorAddress actor = new ActorAddress("bench-beeper", "beeper-" + i);
                ReminderSchedule schedule = ReminderSchedule.every(period)
                    .startingAt(first.plusMillis(i * period.toMillis() / REMINDERS));
                inFlight.acquire();
                registrations.add(threads.submit(() -> {
                    try {
                        silos.registryFor(actor).register(actor, "beep", schedule, new byte[0]);
                    }
                    finally {
                        inFlight.release();
                    }
                }));
            }
            for (Future<?> registration : registrations) {
                registration.get();
            }
        }
        return REMINDERS / ((System.nanoTime() - start) / 1e9);
    }

    private static List<Figure> measure(String key, String what, RunMode mode, Silos silos, CountingReminderTable table,
            TickLog log, double registered, double offered) throws InterruptedException {
        double[] rates = new double[mode.iterations()];
        double[] p50 = new double[mode.iterations()];
        double[] p99 = new double[mode.iterations()];
        double[] writes = new double[mode.iterations()];
        double[] batches = new double[mode.iterations()];
        double[] rowsRead = new double[mode.iterations()];
        log.interval();
        for (int i = -mode.warmups(); i < mode.iterations(); i++) {
            long ticksBefore = log.count();
            long writesBefore = table.writes();
            long batchesBefore = table.batches();
            long applyBefore = table.applyNanos();
            long readsBefore = table.reads();
            long rowsBefore = table.rowsRead();
            long start = System.nanoTime();
            Thread.sleep(mode.reminderWindow());
            double seconds = (System.nanoTime() - start) / 1e9;
            Histogram lateness = log.interval();
            ReminderTickManager.Stats stats = silos.stats();
            double rate = (log.count() - ticksBefore) / seconds;
            double written = (table.writes() - writesBefore) / seconds;
            long batchCount = table.batches() - batchesBefore;
            double batch = (batchCount == 0) ? 0 : (table.writes() - writesBefore) / (double) batchCount;
            double batchMillis = (batchCount == 0) ? 0 : (table.applyNanos() - applyBefore) / 1e6 / batchCount;
            long reads = table.reads() - readsBefore;
            long rows = table.rowsRead() - rowsBefore;
            double late50 = lateness.getValueAtPercentile(50) / 1000.0;
            double late99 = lateness.getValueAtPercentile(99) / 1000.0;
            if (i >= 0) {
                rates[i] = rate;
                p50[i] = late50;
                p99[i] = late99;
                writes[i] = written;
                batches[i] = batch;
                rowsRead[i] = rows;
            }
            Workloads.progress("quark", "reminders, %s: %,.0f fired/s (%,.0f due/s), lateness p50 %.1f ms, p99 %.1f ms, "
                    + "max %.1f ms; %,.0f writes/s in batches of %.0f taking %.1f ms; %,d waiting, %,d running, %,d writes pending, "
                    + "%,d skipped, %,d missed, %,d failed, %,d undelivered; %,d reminders read by %,d table reads of "
                    + "refreshes%s", what, rate, offered, late50, late99,
                    lateness.getMaxValue() / 1000.0, written, batch, batchMillis, stats.waiting(), stats.running(),
                    stats.pendingWrites(), stats.skipped(), stats.missed(), stats.failed(), stats.undelivered(), rows,
                    reads, (i < 0) ? " (warm-up)" : "");
        }
        return List.of(new Figure(key + ".rate", "quark", Stats.of(rates)),
                new Figure(key + ".p50", "quark", Stats.of(p50)), new Figure(key + ".p99", "quark", Stats.of(p99)),
                new Figure(key + ".writes", "quark", Stats.of(writes)),
                new Figure(key + ".batch", "quark", Stats.of(batches)),
                new Figure(key + ".rowsRead", "quark", Stats.of(rowsRead)),
                new Figure(key + ".register", "quark", new Stats(registered, registered, registered)));
    }
}
