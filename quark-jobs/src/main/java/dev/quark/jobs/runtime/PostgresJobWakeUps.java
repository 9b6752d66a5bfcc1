package dev.quark.jobs.runtime;

import java.util.Objects;
import java.util.Set;

import javax.sql.DataSource;

import dev.quark.jdbc.PostgresNotificationListener;
import dev.quark.jdbc.PostgresNotificationListener.Notifications;

/**
 * Wakes a node's workers when another node makes jobs due: listens to the channel that a notifying PostgreSQL job
 * store sends the types of such jobs to ({@code JdbcJobStore#channel()}), on one connection of its own
 * ({@link PostgresNotificationListener}), and tells the {@link JobOrchestrator} ({@link JobOrchestrator#jobsDue}),
 * which polls at once, once per batch of notifications, when it runs any of their types. After the connection was
 * lost the orchestrator polls once, since notifications may have been missed; its poll interval stays the safety net.
 * <p>
 * Requires the PostgreSQL JDBC driver.
 */
public final class PostgresJobWakeUps implements AutoCloseable {

    private final PostgresNotificationListener listener;

    /**
     * Creates the wake-ups; they listen once {@link #start() started}.
     * @param dataSource the jobs' PostgreSQL database
     * @param channel the channel the store notifies
     * @param orchestrator the workers to wake
     */
    public PostgresJobWakeUps(DataSource dataSource, String channel, JobOrchestrator orchestrator) {
        Objects.requireNonNull(orchestrator, "orchestrator must not be null");
        this.listener = new PostgresNotificationListener(dataSource, "jobs")
            .listen(channel, (notifications) -> orchestrator.jobsDue(types(notifications)));
    }

    private static Set<String> types(Notifications notifications) {
        return notifications.missed() ? Set.of() : notifications.payloads();
    }

    /**
     * Starts listening; a failure to connect is logged and retried, never thrown.
     */
    public void start() {
        this.listener.start();
    }

    /**
     * Returns the listener, for diagnostics.
     * @return the listener that holds the connection
     */
    public PostgresNotificationListener listener() {
        return this.listener;
    }

    /**
     * Returns whether it listens (or tries to, its connection lost).
     * @return whether it was started and not closed
     */
    public boolean isRunning() {
        return this.listener.isRunning();
    }

    /**
     * Stops listening and gives the connection back.
     */
    @Override
    public void close() {
        this.listener.close();
    }

    @Override
    public String toString() {
        return "PostgresJobWakeUps[" + this.listener + "]";
    }
}
