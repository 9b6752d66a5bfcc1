package dev.quark.durabletasks.store.jdbc;

import java.util.Objects;

import javax.sql.DataSource;

import dev.quark.jdbc.PostgresNotificationListener;
import dev.quark.jdbc.PostgresNotificationListeners;
import dev.quark.jdbc.PostgresWakeUps;
import org.jspecify.annotations.Nullable;

/**
 * Wakes a worker when another node makes durable-task work due: listens to the channel a notifying
 * {@link JdbcDurableTaskStore} sends to ({@link JdbcDurableTaskStore#channel()}) and runs the wake-up (the worker's
 * {@code wake()}, which polls at once) once per batch of notifications, and once after the connection was lost, since
 * notifications may have been missed. The worker's poll interval stays the safety net. It listens on a connection of
 * its own, or on the shared listener of the data source ({@link PostgresNotificationListeners}); see
 * {@link PostgresWakeUps}.
 * <p>
 * Requires the PostgreSQL JDBC driver.
 */
public final class PostgresDurableTaskWakeUps implements AutoCloseable {

    private final PostgresWakeUps wakeUps;

    /**
     * Creates the wake-ups on a listening connection of their own; they listen once {@link #start() started}.
     * @param dataSource the store's PostgreSQL database
     * @param channel the channel the store notifies
     * @param wake what wakes the worker, for instance {@code worker::wake}; it must return quickly
     */
    public PostgresDurableTaskWakeUps(DataSource dataSource, String channel, Runnable wake) {
        Objects.requireNonNull(wake, "wake must not be null");
        this.wakeUps = PostgresWakeUps.ownListener(dataSource, "durabletasks", channel, (notifications) -> wake.run());
    }

    /**
     * Creates the wake-ups on the shared listener of the data source; they subscribe once {@link #start() started}.
     * @param listeners the shared listeners
     * @param dataSource the store's PostgreSQL database
     * @param channel the channel the store notifies
     * @param wake what wakes the worker, for instance {@code worker::wake}; it must return quickly
     */
    public PostgresDurableTaskWakeUps(PostgresNotificationListeners listeners, DataSource dataSource, String channel,
            Runnable wake) {
        Objects.requireNonNull(wake, "wake must not be null");
        this.wakeUps = PostgresWakeUps.sharedListener(listeners, dataSource, channel, (notifications) -> wake.run());
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
        return "PostgresDurableTaskWakeUps[" + this.wakeUps + "]";
    }
}
