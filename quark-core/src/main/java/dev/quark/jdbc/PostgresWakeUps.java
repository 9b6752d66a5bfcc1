package dev.quark.jdbc;

import java.util.Objects;
import java.util.function.Consumer;

import javax.sql.DataSource;

import dev.quark.jdbc.PostgresNotificationListener.Notifications;
import dev.quark.jdbc.PostgresNotificationListener.Subscription;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Wakes something when a PostgreSQL channel is notified: the common part of the areas' wake-ups across nodes (the
 * jobs' {@code PostgresJobWakeUps}, the durable tasks' {@code PostgresDurableTaskWakeUps}). It listens on the channel
 * either on a {@link PostgresNotificationListener} of its own (one connection for this channel alone, as a library
 * user without a registry gets) or on the shared listener of its data source in a
 * {@link PostgresNotificationListeners} (one connection for every area on that data source), and hands the
 * notifications to a callback, including the {@link Notifications#missed() missed} ones after a lost connection.
 * Closing it closes its own listener, or only its subscription on the shared one.
 * <p>
 * Requires the PostgreSQL JDBC driver.
 */
public final class PostgresWakeUps implements AutoCloseable {

    private static final Logger logger = LoggerFactory.getLogger(PostgresWakeUps.class);

    private final @Nullable PostgresNotificationListener own;

    private final @Nullable PostgresNotificationListeners shared;

    private final DataSource dataSource;

    private final String channel;

    private final Consumer<Notifications> callback;

    private final Object lock = new Object();

    private @Nullable Subscription subscription;

    private PostgresWakeUps(@Nullable PostgresNotificationListener own, @Nullable PostgresNotificationListeners shared,
            DataSource dataSource, String channel, Consumer<Notifications> callback) {
        this.own = own;
        this.shared = shared;
        this.dataSource = dataSource;
        this.channel = channel;
        this.callback = callback;
    }

    /**
     * Creates wake-ups on a listener of their own, which holds a connection while they run.
     * @param dataSource the PostgreSQL database
     * @param name what they listen for, in the listener's thread name and log lines
     * @param channel the channel, as {@link PostgresNotificationListener#listen} takes it
     * @param callback called on the listener's thread; must return quickly
     * @return the wake-ups, not started
     * @throws IllegalArgumentException when the channel is not such a name
     */
    public static PostgresWakeUps ownListener(DataSource dataSource, String name, String channel,
            Consumer<Notifications> callback) {
        Objects.requireNonNull(callback, "callback must not be null");
        PostgresNotificationListener listener = new PostgresNotificationListener(dataSource, name)
            .listen(channel, callback);
        return new PostgresWakeUps(listener, null, dataSource, channel, callback);
    }

    /**
     * Creates wake-ups on the shared listener of a data source.
     * @param listeners the shared listeners
     * @param dataSource the PostgreSQL database
     * @param channel the channel, as {@link PostgresNotificationListener#subscribe} takes it
     * @param callback called on the listener's thread; must return quickly
     * @return the wake-ups, not started
     * @throws IllegalArgumentException when the channel is not such a name
     */
    public static PostgresWakeUps sharedListener(PostgresNotificationListeners listeners, DataSource dataSource,
            String channel, Consumer<Notifications> callback) {
        Objects.requireNonNull(listeners, "listeners must not be null");
        Objects.requireNonNull(dataSource, "dataSource must not be null");
        PostgresNotificationListener.checkName(channel);
        Objects.requireNonNull(callback, "callback must not be null");
        return new PostgresWakeUps(null, listeners, dataSource, channel, callback);
    }

    /**
     * Starts listening; a failure to connect is logged and retried, never thrown. On the shared listener, when it
     * has a connection, waits (up to {@link PostgresNotificationListener#VALIDATION_TIMEOUT}) until it listens on the
     * channel, so that, as on an own listener, notifications sent once this method returns are delivered; when it
     * does not listen by then (its thread busy or its connection failing), a warning is logged and the callback gets
     * a {@link Notifications#missed() missed} notification once it listens. Without a connection, the listener
     * tells every callback so when it has one again. Wake-ups on
     * the shared listener may be started again after {@link #close()} (a context stopped and started again); those on
     * a listener of their own may not.
     * @throws IllegalStateException when they run already, or when they were closed and have a listener of their own
     */
    public void start() {
        if (this.own != null) {
            this.own.start();
            return;
        }
        Subscription started;
        synchronized (this.lock) {
            if (this.subscription != null && this.subscription.isOpen()) {
                throw new IllegalStateException("The wake-ups on " + this.channel + " were started already");
            }
            PostgresNotificationListener listener = Objects.requireNonNull(this.shared).listener(this.dataSource);
            started = listener.subscribe(this.channel, this.callback);
            this.subscription = started;
        }
        if (started.listener().connectionPid().isPresent()
                && !started.awaitListening(PostgresNotificationListener.VALIDATION_TIMEOUT) && started.isOpen()) {
            // Notifications sent until the LISTEN is done are lost: tell the callback once it is.
            logger.warn("The shared listener did not listen on {} within {}s; notifications sent until it does are "
                    + "missed, the callback is told so once it listens", this.channel,
                    PostgresNotificationListener.VALIDATION_TIMEOUT.toSeconds());
            started.whenListening(() -> this.callback.accept(Notifications.MISSED));
        }
    }

    /**
     * Returns the listener, for diagnostics.
     * @return the listener that holds the connection; {@code null} for wake-ups on a shared listener not started
     */
    public @Nullable PostgresNotificationListener listener() {
        if (this.own != null) {
            return this.own;
        }
        synchronized (this.lock) {
            return (this.subscription != null) ? this.subscription.listener() : null;
        }
    }

    /**
     * Returns whether they listen (or try to, the connection lost).
     * @return whether they were started and not closed
     */
    public boolean isRunning() {
        if (this.own != null) {
            return this.own.isRunning();
        }
        synchronized (this.lock) {
            return this.subscription != null && this.subscription.isOpen()
                    && this.subscription.listener().isRunning();
        }
    }

    /**
     * Stops listening: closes the own listener (giving its connection back), or un-listens the channel on the shared
     * one, leaving the other areas' channels listened; idempotent.
     */
    @Override
    public void close() {
        if (this.own != null) {
            this.own.close();
            return;
        }
        Subscription closing;
        synchronized (this.lock) {
            closing = this.subscription;
        }
        if (closing != null) {
            closing.close();
        }
    }

    @Override
    public String toString() {
        return "PostgresWakeUps[" + this.channel + ", " + ((this.own != null) ? "own listener" : "shared listener")
                + "]";
    }
}
