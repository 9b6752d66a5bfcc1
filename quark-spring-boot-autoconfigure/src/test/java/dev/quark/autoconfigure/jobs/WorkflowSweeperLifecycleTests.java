package dev.quark.autoconfigure.jobs;

import java.time.Clock;
import java.time.Duration;

import dev.quark.jobs.runtime.JobEvents;
import dev.quark.jobs.runtime.WorkflowAdvancer;
import dev.quark.jobs.runtime.WorkflowSweeper;
import dev.quark.jobs.store.memory.InMemoryJobStore;
import dev.quark.jobs.store.memory.InMemoryWorkflowStore;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class WorkflowSweeperLifecycleTests {

    @Test
    void aStoppedContextStartsTheSweeperAgainAndClosingTheContextClosesIt() {
        WorkflowAdvancer advancer = new WorkflowAdvancer(new InMemoryWorkflowStore(), new InMemoryJobStore(),
                Clock.systemUTC(), new JobEvents() {
                });
        WorkflowSweeper sweeper = new WorkflowSweeper(advancer, Duration.ofSeconds(10), Clock.systemUTC(), null);
        WorkflowSweeperLifecycle lifecycle = new WorkflowSweeperLifecycle(sweeper);
        lifecycle.start();
        lifecycle.stop();
        assertThat(lifecycle.isRunning()).isFalse();
        assertThat(sweeper.isRunning()).isFalse();
        lifecycle.start();
        assertThat(lifecycle.isRunning()).isTrue();
        assertThat(sweeper.isRunning()).as("sweeps again after a restart").isTrue();
        lifecycle.close();
        assertThat(sweeper.isRunning()).isFalse();
        sweeper.start();
        assertThat(sweeper.isRunning()).as("a closed sweeper does not start").isFalse();
    }
}
