package dev.quark.benchmarks.jobs;

import java.lang.management.ManagementFactory;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;

import org.jspecify.annotations.Nullable;

import org.springframework.jdbc.core.simple.JdbcClient;

/**
 * What running a round's jobs cost, per job, in measures that do not depend on the machine's load as jobs/s does:
 * bytes allocated in this JVM (by its live platform threads, carriers of virtual threads included) and its CPU time, and, on
 * PostgreSQL, the row writes of the queue's table ({@code pg_stat_user_tables}, flushed by closing the pool's
 * connections before each reading) and, when counting ({@link JobsWorkload#COUNT}), the statements, commits and
 * rollbacks the engine sent. The readings of the store that the workload makes to see that every job is done
 * ({@code select status, count(*)}) are left out.
 */
final class RunCost {

    private final long allocated;

    private final long cpuNanos;

    private final long @Nullable [] rows;

    private RunCost(long allocated, long cpuNanos, long @Nullable [] rows) {
        this.allocated = allocated;
        this.cpuNanos = cpuNanos;
        this.rows = rows;
    }

    static RunCost start(JobContender contender) throws InterruptedException {
        JobContender.Measured measured = contender.measured();
        long[] rows = null;
        if (measured != null) {
            rows = rows(measured);
            if (measured.dataSource() instanceof StatementCountingDataSource counting) {
                counting.reset();
            }
        }
        return new RunCost(allocated(), cpuNanos(), rows);
    }

    String end(JobContender contender, int jobs) throws InterruptedException {
        double allocatedPerJob = (allocated() - this.allocated) / (double) jobs;
        double cpuMicrosPerJob = (cpuNanos() - this.cpuNanos) / 1e3 / jobs;
        StringBuilder text = new StringBuilder(String.format(Locale.ROOT,
                "; JVM: %,.0f bytes allocated and %,.0f us CPU per job", allocatedPerJob, cpuMicrosPerJob));
        JobContender.Measured measured = contender.measured();
        if (measured != null && measured.dataSource() instanceof StatementCountingDataSource counting) {
            Map<String, Long> statements = counting.statements();
            statements.keySet().removeIf((kind) -> kind.startsWith("select status, count(*)"));
            long total = statements.values().stream().mapToLong(Long::longValue).sum();
            text.append(String.format(Locale.ROOT, "; %.3f statements, %.3f commits, %.3f rollbacks per job "
                    + "(round trips %.3f per job): %s", total / (double) jobs, counting.commits() / (double) jobs,
                    counting.rollbacks() / (double) jobs,
                    (total + counting.commits() + counting.rollbacks()) / (double) jobs,
                    statements.entrySet().stream()
                        .map((entry) -> String.format(Locale.ROOT, "%,d x [%s]", entry.getValue(), entry.getKey()))
                        .collect(Collectors.joining(", "))));
        }
        if (measured != null && this.rows != null) {
            text.append(String.format(Locale.ROOT, "; PostgreSQL: %,.0f us CPU per job in the pool's server processes",
                    serverCpuMicros(measured) / jobs));
            long[] after = rows(measured);
            text.append(String.format(Locale.ROOT, "; table %s per job: %.3f inserts, %.3f updates (%.3f HOT), "
                    + "%.3f deletes", measured.table(), (after[0] - this.rows[0]) / (double) jobs,
                    (after[1] - this.rows[1]) / (double) jobs, (after[2] - this.rows[2]) / (double) jobs,
                    (after[3] - this.rows[3]) / (double) jobs));
        }
        return text.toString();
    }

    /**
     * Reads the table's row writes after closing the pool's idle connections, whose server processes report their
     * counts as they exit: once those processes are gone (at most 5 s).
     */
    private static long[] rows(JobContender.Measured measured) throws InterruptedException {
        JdbcClient jdbc = JdbcClient.create(measured.schema().dataSource());
        String processes = "select pid from pg_stat_activity where application_name = ? and pid <> pg_backend_pid()";
        java.util.List<Integer> before = jdbc.sql(processes).param(measured.schema().name()).query(Integer.class).list();
        measured.schema().dataSource().getHikariPoolMXBean().softEvictConnections();
        long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(5);
        while (System.nanoTime() < deadline) {
            java.util.List<Integer> left = jdbc.sql(processes).param(measured.schema().name()).query(Integer.class).list();
            if (left.stream().noneMatch(before::contains)) {
                break;
            }
            Thread.sleep(20);
        }
        return jdbc
            .sql("select n_tup_ins, n_tup_upd, n_tup_hot_upd, n_tup_del from pg_stat_user_tables "
                    + "where schemaname = ? and relname = ?")
            .params(measured.schema().name(), measured.table())
            .query((row, number) -> new long[] { row.getLong(1), row.getLong(2), row.getLong(3), row.getLong(4) })
            .optional()
            .orElse(new long[4]);
    }

    /**
     * Returns the CPU time of the server processes of the pool's connections (named by their application name, the
     * schema's), from {@code /proc}: they were all started after {@link #start} closed the idle ones. 0 where the
     * server's processes cannot be read (a server on another machine).
     */
    private static double serverCpuMicros(JobContender.Measured measured) {
        java.util.List<Integer> pids = JdbcClient.create(measured.schema().dataSource())
            .sql("select pid from pg_stat_activity where application_name = ?")
            .param(measured.schema().name())
            .query(Integer.class)
            .list();
        long ticks = 0;
        for (int pid : pids) {
            try {
                String stat = java.nio.file.Files.readString(java.nio.file.Path.of("/proc", Integer.toString(pid), "stat"));
                String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                // utime and stime: fields 14 and 15 of the line, 12 and 13 after the command's parentheses.
                ticks += Long.parseLong(fields[11]) + Long.parseLong(fields[12]);
            }
            catch (java.io.IOException | RuntimeException ex) {
                // Gone meanwhile, or not on this machine.
            }
        }
        return ticks * 1e6 / 100;
    }

    private static long allocated() {
        // Every live platform thread's, the carriers of the virtual threads included (threads that ended are lost).
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long sum = 0;
        for (long bytes : threads.getThreadAllocatedBytes(threads.getAllThreadIds())) {
            sum += Math.max(0, bytes);
        }
        return sum;
    }

    private static long cpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
            .getProcessCpuTime();
    }
}
