package dev.quark.jobs.runtime;

import java.util.Objects;
import java.util.Set;
import java.util.function.Consumer;

import javax.sql.DataSource;

import dev.quark.jdbc.PostgresNotificationListener;
import dev.quark.jdbc.PostgresNotificationListener.Notifications;
import dev.quark.jdbc.PostgresNotificationListeners;
import dev.quark.jdbc.PostgresWakeUps;
import org.jspecify.annotations.Nullable;

/**
 * Wakes a node's workers when another node makes jobs due: listens to the channel that a notifying PostgreSQL job
 * store sends the types of such jobs to ({@code JdbcJobStore#channel()}) and tells the {@link JobOrchestrator}
 * ({@link JobOrchestrator#jobsDue}), which polls at once, once per batch of notifications, when it runs any of their
 * types; a notification of a job due later ({@link dev.quark.jobs.store.JobDueNotice}) makes it claim when the job
 * comes due. After the connection was lost the orchestrator polls once, since notifications may have been missed; its
 * poll interval stays the safety net. It listens on a connection of its own, or on the shared listener of the data
 * source ({@link PostgresNotificationListeners}); see {@link PostgresWakeUps}.
 * <p>
 * Requires the PostgreSQL JDBC driver.
 */
public final class PostgresJobWakeUps implements AutoCloseable {

    private final PostgresWakeUps wakeUps;

    /**
     * Creates the wake-ups on a listening connection of their own; they listen once {@link #start() started}.
     * @param dataSource the jobs' PostgreSQL database
     * @param channel the channel the store notifies
     * @param orchestrator the workers to wake
     */
    public PostgresJobWakeUps(DataSource dataSource, String channel, JobOrchestrator orchestrator) {
        this.wakeUps = PostgresWakeUps.ownListener(dataSource, "jobs", channel, wake(orchestrator));
    }

    /**
     * Creates the wake-ups on the shared listener of the data source; they subscribe once {@link #start() started}.
     * @param listeners the shared listeners
     * @param dataSource the jobs' PostgreSQL database
     * @param channel the channel the store notifies
     * @param orchestrator the workers to wake
     */
    public PostgresJobWakeUps(PostgresNotificationListeners listeners, DataSource dataSource, String channel,
            JobOrchestrator orchestrator) {
        this.wakeUps = PostgresWakeUps.sharedListener(listeners, dataSource, channel, wake(orchestrator));
    }

    private static Consumer<Notifications> wake(JobOrchestrator orchestrator) {
        Objects.requireNonNull(orchestrator, "orchestrator must not be null");
        return (notifications) -> {
            if (notifications.missed()) {
                orchestrator.jobsDue(Set.of());
            }
            else {
                JobDueNotices.tell(orchestrator, notifications.payloads());
            }
        };
    }

    /**
     * Starts listening; a failure to connect is logged and retried, never thrown.
     */
    public void start() {
        this.wakeUps.start();
    }

    /**
     * Returns the listener, for diagnostics.
     * @return the listener that holds the connection; {@code null} for wake-ups on a shared listener not started
     */
    public @Nullable PostgresNotificationListener listener() {
        return this.wakeUps.listener();
    }

    /**
     * Returns whether it listens (or tries to, its connection lost).
     * @return whether it was started and not closed
     */
    public boolean isRunning() {
        return this.wakeUps.isRunning();
    }

    /**
     * Stops listening: gives its own connection back, or un-listens its channel on the shared listener.
     */
    @Override
    public void close() {
        this.wakeUps.close();
    }

    @Override
    public String toString() {
        return "PostgresJobWakeUps[" + this.wakeUps + "]";
    }
}
