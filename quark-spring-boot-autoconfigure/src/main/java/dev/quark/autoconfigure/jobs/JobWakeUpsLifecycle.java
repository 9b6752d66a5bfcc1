package dev.quark.autoconfigure.jobs;

import java.util.Optional;

import javax.sql.DataSource;

import dev.quark.jdbc.PostgresNotificationListeners;
import dev.quark.jobs.runtime.JobOrchestrator;
import dev.quark.jobs.runtime.PostgresJobWakeUps;
import dev.quark.jobs.store.jdbc.JdbcJobStore;

import org.jspecify.annotations.Nullable;

import org.springframework.context.SmartLifecycle;

/**
 * Listens for other nodes' job notifications ({@link PostgresJobWakeUps}) once the job orchestrator runs, and stops
 * before it stops. Only a store that {@link JdbcJobStore#notifying() notifies} gets wake-ups: a store that sends no
 * notification (a user-defined one, say) would leave the listening connection idle, so none is taken. They subscribe
 * on the data source's shared listening connection ({@link PostgresNotificationListeners}) when there is one.
 */
final class JobWakeUpsLifecycle implements SmartLifecycle {

    /** Starts after and stops before the job orchestrator. */
    static final int PHASE = JobOrchestratorLifecycle.PHASE + 1;

    private final @Nullable PostgresJobWakeUps wakeUps;

    private volatile boolean running;

    JobWakeUpsLifecycle(DataSource dataSource, JdbcJobStore store, JobOrchestrator orchestrator,
            @Nullable PostgresNotificationListeners listeners) {
        if (!store.notifying()) {
            this.wakeUps = null;
        }
        else if (listeners != null) {
            this.wakeUps = new PostgresJobWakeUps(listeners, dataSource, store.channel(), orchestrator);
        }
        else {
            this.wakeUps = new PostgresJobWakeUps(dataSource, store.channel(), orchestrator);
        }
    }

    /**
     * Returns the wake-ups, for diagnostics; empty when the store does not notify.
     * @return the wake-ups, if any
     */
    Optional<PostgresJobWakeUps> wakeUps() {
        return Optional.ofNullable(this.wakeUps);
    }

    @Override
    public void start() {
        if (this.wakeUps != null) {
            this.wakeUps.start();
        }
        this.running = true;
    }

    @Override
    public void stop() {
        this.running = false;
        if (this.wakeUps != null) {
            this.wakeUps.close();
        }
    }

    @Override
    public boolean isRunning() {
        return this.running;
    }

    @Override
    public int getPhase() {
        return PHASE;
    }
}
