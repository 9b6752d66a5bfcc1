package dev.quark.jobs.runtime;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Keeps what the workers record, for assertions.
 */
final class RecordingJobMetrics implements JobMetrics {

    final List<String> enqueued = new CopyOnWriteArrayList<>();

    final List<Duration> latencies = new CopyOnWriteArrayList<>();

    final List<String> outcomes = new CopyOnWriteArrayList<>();

    @Override
    public void enqueued(String type) {
        this.enqueued.add(type);
    }

    @Override
    public void started(String type, Duration latency) {
        this.latencies.add(latency);
    }

    @Override
    public void finished(String type, ExecutionOutcome outcome, Duration duration) {
        this.outcomes.add(type + ":" + outcome.tagValue());
    }
}
