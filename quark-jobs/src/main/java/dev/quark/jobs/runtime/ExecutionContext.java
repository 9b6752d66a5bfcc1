package dev.quark.jobs.runtime;

import java.time.Clock;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Map;

import dev.quark.jobs.Job;
import dev.quark.jobs.JobContext;
import dev.quark.jobs.JobId;
import dev.quark.jobs.JobLog;
import dev.quark.jobs.store.JobReport;
import dev.quark.jobs.store.JobStore;
import dev.quark.lease.Lease;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.helpers.FormattingTuple;
import org.slf4j.helpers.MessageFormatter;

/**
 * The {@link JobContext} of one attempt: its progress and log as they will be written, and the cancellation
 * request flag.
 */
final class ExecutionContext implements JobContext, JobLog {

    private static final Logger logger = LoggerFactory.getLogger(JobLog.class);

    private final Job job;

    private final Lease lease;

    private final JobStore store;

    private final Clock clock;

    private final int logLimit;

    private final Deque<String> log;

    private int progress;

    private @Nullable String progressMessage;

    private volatile boolean cancellationRequested;

    ExecutionContext(Job job, Lease lease, JobStore store, Clock clock, int logLimit) {
        this.job = job;
        this.lease = lease;
        this.store = store;
        this.clock = clock;
        this.logLimit = logLimit;
        this.log = new ArrayDeque<>(job.log());
        trim();
        this.cancellationRequested = job.cancelRequested();
    }

    @Override
    public JobId jobId() {
        return this.job.id();
    }

    @Override
    public String type() {
        return this.job.type();
    }

    @Override
    public int attempt() {
        return this.job.attempt();
    }

    @Override
    public Instant enqueuedAt() {
        return this.job.createdAt();
    }

    @Override
    public Map<String, String> metadata() {
        return this.job.metadata();
    }

    @Override
    public void progress(int percent, @Nullable String message) {
        if (percent < 0 || percent > 100) {
            throw new IllegalArgumentException("Progress is 0 to 100, was " + percent);
        }
        JobReport report;
        synchronized (this) {
            this.progress = percent;
            this.progressMessage = message;
            report = report(percent);
        }
        this.store.report(this.job.id(), this.lease, report);
    }

    @Override
    public boolean isCancellationRequested() {
        return this.cancellationRequested;
    }

    void requestCancellation() {
        this.cancellationRequested = true;
    }

    @Override
    public JobLog log() {
        return this;
    }

    @Override
    public void info(String message, @Nullable Object... arguments) {
        FormattingTuple line = MessageFormatter.arrayFormat(message, arguments);
        logger.info(line.getMessage(), line.getThrowable());
        keep("INFO", line);
    }

    @Override
    public void warn(String message, @Nullable Object... arguments) {
        FormattingTuple line = MessageFormatter.arrayFormat(message, arguments);
        logger.warn(line.getMessage(), line.getThrowable());
        keep("WARN", line);
    }

    @Override
    public void error(String message, @Nullable Object... arguments) {
        FormattingTuple line = MessageFormatter.arrayFormat(message, arguments);
        logger.error(line.getMessage(), line.getThrowable());
        keep("ERROR", line);
    }

    /**
     * Keeps a line the worker writes about the attempt (a failure, a timeout).
     * @param level the level
     * @param text the line
     */
    void system(String level, String text) {
        keep(level, new FormattingTuple(text));
    }

    private void keep(String level, FormattingTuple line) {
        String text = this.clock.instant() + " " + level + " " + line.getMessage();
        Throwable failure = line.getThrowable();
        if (failure != null) {
            text = text + " - " + failure;
        }
        if (text.length() > MAX_LINE_LENGTH) {
            text = text.substring(0, MAX_LINE_LENGTH - 3) + "...";
        }
        synchronized (this) {
            this.log.addLast(text);
            trim();
        }
    }

    private void trim() {
        while (this.log.size() > this.logLimit) {
            this.log.removeFirst();
        }
    }

    /**
     * Returns what to write when the attempt ends.
     * @param succeeded whether it succeeded, which makes its progress 100
     * @return the report
     */
    synchronized JobReport finalReport(boolean succeeded) {
        return report(succeeded ? 100 : this.progress);
    }

    private JobReport report(int percent) {
        return new JobReport(percent, this.progressMessage, List.copyOf(this.log));
    }
}
