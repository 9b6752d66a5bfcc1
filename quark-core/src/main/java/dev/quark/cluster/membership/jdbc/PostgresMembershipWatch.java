package dev.quark.cluster.membership.jdbc;

import java.time.Duration;
import java.util.function.Consumer;

import javax.sql.DataSource;

import dev.quark.cluster.membership.MembershipProvider.Watch;
import dev.quark.jdbc.PostgresNotificationListener;
import dev.quark.jdbc.PostgresNotificationListener.Notifications;
import dev.quark.jdbc.PostgresNotificationListener.Subscription;
import dev.quark.jdbc.PostgresNotificationListeners;
import org.jspecify.annotations.Nullable;

/**
 * One {@link JdbcMembershipProvider#watch} registration: a {@link PostgresNotificationListener} of its own, which
 * holds one connection from the data source for as long as the watch is open, or a subscription on the shared listener
 * of the data source ({@link PostgresNotificationListeners}, whose connection the other areas share); it listens on
 * the membership channel
 * (named exactly, case included) and tells the listener when a notification names the watch's cluster. When the
 * connection fails, the listener gets a new one after a growing pause, listens again and tells the listener once,
 * since notifications may have been missed meanwhile; it also makes the server answer every
 * {@link PostgresNotificationListener#VALIDATE_EVERY}, so that a half-open connection is replaced rather than
 * looking quiet forever. Closing the watch closes its own listener, which runs {@code UNLISTEN} and gives the
 * connection back, or closes its subscription, which un-listens the membership channel only (when no other watch
 * listens on it).
 */
final class PostgresMembershipWatch implements Watch {

    private final @Nullable PostgresNotificationListener own;

    private final @Nullable Subscription subscription;

    private final String channel;

    private final String clusterName;

    private PostgresMembershipWatch(@Nullable PostgresNotificationListener own, @Nullable Subscription subscription,
            String channel, String clusterName) {
        this.own = own;
        this.subscription = subscription;
        this.channel = channel;
        this.clusterName = clusterName;
    }

    /**
     * Listens on the shared listener of the data source; notifications are delivered from the moment this method
     * returns.
     * @param listeners the shared listeners
     * @param dataSource the database
     * @param channel the channel, as {@code pg_notify} names it
     * @param clusterName the payload that concerns this watch
     * @param listener told of every notification for the cluster
     * @param timeout how long to wait at most until the shared connection listens on the channel
     * @return the registration
     * @throws IllegalStateException when the shared listener does not listen on the channel within the timeout
     */
    static PostgresMembershipWatch subscribe(PostgresNotificationListeners listeners, DataSource dataSource,
            String channel, String clusterName, Runnable listener, Duration timeout) {
        Subscription subscription = listeners.listener(dataSource)
            .subscribeExactly(channel, hints(clusterName, listener));
        if (!subscription.awaitListening(timeout)) {
            subscription.close();
            throw new IllegalStateException("Could not listen to the membership channel " + channel + " within "
                    + timeout.toMillis() + " ms: the shared listening connection of the data source is not "
                    + "connected (see the warnings of " + PostgresNotificationListener.class.getName() + ")");
        }
        return new PostgresMembershipWatch(null, subscription, channel, clusterName);
    }

    private static Consumer<Notifications> hints(String clusterName, Runnable listener) {
        return (received) -> {
            if (received.mayConcern(clusterName)) {
                listener.run();
            }
        };
    }

    /**
     * Listens; notifications are delivered from the moment this method returns.
     * @param dataSource the database
     * @param channel the channel, as {@code pg_notify} names it
     * @param clusterName the payload that concerns this watch
     * @param listener told of every notification for the cluster
     * @return the registration
     * @throws IllegalStateException when the connection or the {@code LISTEN} fails
     */
    static PostgresMembershipWatch start(DataSource dataSource, String channel, String clusterName,
            Runnable listener) {
        return start(dataSource, channel, clusterName, listener, PostgresNotificationListener.VALIDATE_EVERY,
                PostgresNotificationListener.VALIDATION_TIMEOUT);
    }

    /**
     * Listens, checking the connection at other intervals than the defaults (for tests).
     * @param dataSource the database
     * @param channel the channel, as {@code pg_notify} names it
     * @param clusterName the payload that concerns this watch
     * @param listener told of every notification for the cluster
     * @param validateEvery how often the connection is checked
     * @param validationTimeout how long the connection may keep the server's answer, at least a millisecond
     * @return the registration
     * @throws IllegalStateException when the connection or the {@code LISTEN} fails
     */
    static PostgresMembershipWatch start(DataSource dataSource, String channel, String clusterName,
            Runnable listener, Duration validateEvery, Duration validationTimeout) {
        PostgresNotificationListener notifications = new PostgresNotificationListener(dataSource,
                "membership-" + clusterName)
            .listenExactly(channel, hints(clusterName, listener))
            .validation(validateEvery, validationTimeout);
        try {
            notifications.startOrFail();
        }
        catch (IllegalStateException ex) {
            Throwable cause = (ex.getCause() != null) ? ex.getCause() : ex;
            throw new IllegalStateException("Could not listen to the membership channel " + channel + ": "
                    + cause.getMessage(), cause);
        }
        return new PostgresMembershipWatch(notifications, null, channel, clusterName);
    }

    /**
     * Returns whether the listener's thread still runs (it holds the connection until it ends).
     * @return whether the watch still holds its thread and connection
     */
    boolean isRunning() {
        if (this.own != null) {
            return this.own.isRunning();
        }
        Subscription current = this.subscription;
        return current != null && current.isOpen() && current.listener().isRunning();
    }

    @Override
    public void close() {
        if (this.own != null) {
            this.own.close();
        }
        if (this.subscription != null) {
            this.subscription.close();
        }
    }

    @Override
    public String toString() {
        return "PostgresMembershipWatch[" + this.channel + ", cluster " + this.clusterName + "]";
    }
}
