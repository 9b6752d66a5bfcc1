package dev.quark.durabletasks.store.jdbc;

import java.util.Objects;

import javax.sql.DataSource;

import dev.quark.jdbc.PostgresNotificationListener;

/**
 * Wakes a worker when another node makes durable-task work due: listens to the channel a notifying
 * {@link JdbcDurableTaskStore} sends to ({@link JdbcDurableTaskStore#channel()}), on one connection of its own
 * ({@link PostgresNotificationListener}), and runs the wake-up (the worker's {@code wake()}, which polls at once) once
 * per batch of notifications, and once after the connection was lost, since notifications may have been missed. The
 * worker's poll interval stays the safety net.
 * <p>
 * Requires the PostgreSQL JDBC driver.
 */
public final class PostgresDurableTaskWakeUps implements AutoCloseable {

    private final PostgresNotificationListener listener;

    /**
     * Creates the wake-ups; they listen once {@link #start() started}.
     * @param dataSource the store's PostgreSQL database
     * @param channel the channel the store notifies
     * @param wake what wakes the worker, for instance {@code worker::wake}; it must return quickly
     */
    public PostgresDurableTaskWakeUps(DataSource dataSource, String channel, Runnable wake) {
        Objects.requireNonNull(wake, "wake must not be null");
        this.listener = new PostgresNotificationListener(dataSource, "durabletasks")
            .listen(channel, (notifications) -> wake.run());
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
        return "PostgresDurableTaskWakeUps[" + this.listener + "]";
    }
}
