package dev.quark.benchmarks.reminders;

import java.time.Instant;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;

import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * What the actors of the reminders workload received: a count of ticks and a histogram of their lateness (from
 * the scheduled instant to the start of the turn, in microseconds), read one measurement window at a time.
 */
public final class TickLog {

    private final LongAdder received = new LongAdder();

    private final Recorder lateness = new Recorder(3);

    /**
     * Records a tick whose turn starts now.
     * @param scheduledAt the instant it was scheduled for
     */
    void received(Instant scheduledAt) {
        Instant now = Instant.now();
        long micros = TimeUnit.SECONDS.toMicros(now.getEpochSecond() - scheduledAt.getEpochSecond())
                + (now.getNano() - scheduledAt.getNano()) / 1000;
        this.lateness.recordValue(Math.max(0, micros));
        this.received.increment();
    }

    /**
     * Returns the ticks received so far.
     */
    long count() {
        return this.received.sum();
    }

    /**
     * Returns the lateness recorded since the previous call, and starts a new interval.
     */
    Histogram interval() {
        return this.lateness.getIntervalHistogram();
    }
}
