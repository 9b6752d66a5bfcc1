package dev.quark.cluster.membership.jdbc;

import java.time.Duration;

import javax.sql.DataSource;

import dev.quark.cluster.membership.MembershipProvider.Watch;
import dev.quark.jdbc.PostgresNotificationListener;

/**
 * One {@link JdbcMembershipProvider#watch} registration: a {@link PostgresNotificationListener} of its own, which
 * holds one connection from the data source for as long as the watch is open, listens on the membership channel
 * (named exactly, case included) and tells the listener when a notification names the watch's cluster. When the
 * connection fails, the listener gets a new one after a growing pause, listens again and tells the listener once,
 * since notifications may have been missed meanwhile; it also makes the server answer every
 * {@link PostgresNotificationListener#VALIDATE_EVERY}, so that a half-open connection is replaced rather than
 * looking quiet forever. Closing the watch closes the listener, which runs {@code UNLISTEN} and gives the
 * connection back.
 */
final class PostgresMembershipWatch implements Watch {

    private final PostgresNotificationListener notifications;

    private final String channel;

    private final String clusterName;

    private PostgresMembershipWatch(PostgresNotificationListener notifications, String channel, String clusterName) {
        this.notifications = notifications;
        this.channel = channel;
        this.clusterName = clusterName;
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
            .listenExactly(channel, (received) -> {
                if (received.mayConcern(clusterName)) {
                    listener.run();
                }
            })
            .validation(validateEvery, validationTimeout);
        try {
            notifications.startOrFail();
        }
        catch (IllegalStateException ex) {
            Throwable cause = (ex.getCause() != null) ? ex.getCause() : ex;
            throw new IllegalStateException("Could not listen to the membership channel " + channel + ": "
                    + cause.getMessage(), cause);
        }
        return new PostgresMembershipWatch(notifications, channel, clusterName);
    }

    /**
     * Returns whether the listener's thread still runs (it holds the connection until it ends).
     * @return whether the watch still holds its thread and connection
     */
    boolean isRunning() {
        return this.notifications.isRunning();
    }

    @Override
    public void close() {
        this.notifications.close();
    }

    @Override
    public String toString() {
        return "PostgresMembershipWatch[" + this.channel + ", cluster " + this.clusterName + "]";
    }
}
