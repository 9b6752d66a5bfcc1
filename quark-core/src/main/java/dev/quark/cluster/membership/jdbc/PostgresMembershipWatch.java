package dev.quark.cluster.membership.jdbc;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import javax.sql.DataSource;

import dev.quark.cluster.membership.MembershipProvider.Watch;
import org.jspecify.annotations.Nullable;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One {@link JdbcMembershipProvider#watch} registration: a connection taken from the data source for as long
 * as the watch is open, on which it runs {@code LISTEN}, and a virtual thread that asks the PostgreSQL driver
 * for notifications every {@link #POLL} and tells the listener when one names its cluster. When the connection
 * fails, the thread gets a new one after a growing pause (up to {@link #MAX_PAUSE}), listens again and tells
 * the listener once, since notifications may have been missed meanwhile. Closing it stops the thread, which
 * runs {@code UNLISTEN} and gives the connection back, and waits for it.
 * <p>
 * Waiting for notifications only reads from the socket, so it cannot tell a quiet connection from a half-open
 * one (the server or a firewall on the way dropped it without a reset): it would wait forever. So the thread
 * runs {@code select 1} every {@link #VALIDATE_EVERY}, and the connection has a network timeout of
 * {@link #VALIDATION_TIMEOUT}: a connection that does not answer fails like a dropped one, and the thread
 * listens again on a new one.
 */
final class PostgresMembershipWatch implements Watch {

    /** How long the thread waits for notifications before it checks whether the watch was closed. */
    static final Duration POLL = Duration.ofMillis(250);

    /** How often the thread checks that the connection still answers. */
    static final Duration VALIDATE_EVERY = Duration.ofSeconds(5);

    /** How long a statement on the connection may wait for the server before the connection counts as lost. */
    static final Duration VALIDATION_TIMEOUT = Duration.ofSeconds(5);

    /** The longest pause between two attempts to listen again after a failure. */
    static final Duration MAX_PAUSE = Duration.ofSeconds(30);

    private static final Duration FIRST_PAUSE = Duration.ofMillis(100);

    private static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(10);

    private static final Logger logger = LoggerFactory.getLogger(PostgresMembershipWatch.class);

    private final DataSource dataSource;

    private final String channel;

    private final String clusterName;

    private final Runnable listener;

    private final long pollsPerValidation;

    private final Duration validationTimeout;

    private final CountDownLatch closed = new CountDownLatch(1);

    private final Thread thread;

    private PostgresMembershipWatch(DataSource dataSource, String channel, String clusterName, Runnable listener,
            Duration validateEvery, Duration validationTimeout, Connection connection) {
        this.dataSource = dataSource;
        this.channel = channel;
        this.clusterName = clusterName;
        this.listener = listener;
        this.pollsPerValidation = Math.max(1, validateEvery.toMillis() / POLL.toMillis());
        this.validationTimeout = validationTimeout;
        this.thread = Thread.ofVirtual()
            .name("quark-membership-listen-" + clusterName)
            .unstarted(() -> run(connection));
    }

    /**
     * Listens and starts the thread; notifications are delivered from the moment this method returns.
     * @param dataSource the database
     * @param channel the channel, a valid identifier
     * @param clusterName the payload that concerns this watch
     * @param listener told of every notification for the cluster
     * @return the registration
     * @throws IllegalStateException when the connection or the {@code LISTEN} fails
     */
    static PostgresMembershipWatch start(DataSource dataSource, String channel, String clusterName,
            Runnable listener) {
        return start(dataSource, channel, clusterName, listener, VALIDATE_EVERY, VALIDATION_TIMEOUT);
    }

    /**
     * Listens and starts the thread, checking the connection at other intervals than the defaults (for tests).
     * @param dataSource the database
     * @param channel the channel, a valid identifier
     * @param clusterName the payload that concerns this watch
     * @param listener told of every notification for the cluster
     * @param validateEvery how often the thread checks that the connection answers
     * @param validationTimeout how long the connection may keep the server's answer, at least a millisecond
     * @return the registration
     * @throws IllegalStateException when the connection or the {@code LISTEN} fails
     */
    static PostgresMembershipWatch start(DataSource dataSource, String channel, String clusterName,
            Runnable listener, Duration validateEvery, Duration validationTimeout) {
        Connection connection;
        try {
            connection = listen(dataSource, channel, validationTimeout);
        }
        catch (SQLException ex) {
            throw new IllegalStateException("Could not listen to the membership channel " + channel + ": "
                    + ex.getMessage(), ex);
        }
        PostgresMembershipWatch watch = new PostgresMembershipWatch(dataSource, channel, clusterName, listener,
                validateEvery, validationTimeout, connection);
        watch.thread.start();
        return watch;
    }

    private static Connection listen(DataSource dataSource, String channel, Duration validationTimeout)
            throws SQLException {
        Connection connection = dataSource.getConnection();
        try {
            if (!connection.isWrapperFor(PGConnection.class)) {
                throw new SQLException("the data source does not give PostgreSQL connections: "
                        + connection.getMetaData().getDatabaseProductName());
            }
            connection.setNetworkTimeout(Runnable::run, (int) Math.max(1, validationTimeout.toMillis()));
            connection.setAutoCommit(true);
            try (Statement statement = connection.createStatement()) {
                statement.execute("listen \"" + channel + "\"");
            }
            return connection;
        }
        catch (SQLException | RuntimeException ex) {
            release(connection);
            throw ex;
        }
    }

    private void run(Connection first) {
        @Nullable Connection connection = first;
        Duration pause = FIRST_PAUSE;
        long polls = 0;
        while (!isClosed()) {
            try {
                if (connection == null) {
                    connection = listen(this.dataSource, this.channel, this.validationTimeout);
                    pause = FIRST_PAUSE;
                    logger.info("Listening to the membership channel {} again", this.channel);
                    tell();
                }
                PGNotification[] notifications = connection.unwrap(PGConnection.class)
                    .getNotifications((int) POLL.toMillis());
                if (concernsThisCluster(notifications)) {
                    tell();
                }
                if (++polls % this.pollsPerValidation == 0) {
                    validate(connection);
                }
            }
            catch (SQLException ex) {
                if (isClosed()) {
                    break;
                }
                logger.warn("Lost the membership channel {}, listening again in {} ms: {}", this.channel,
                        pause.toMillis(), ex.getMessage());
                if (connection != null) {
                    release(connection);
                    connection = null;
                }
                awaitClose(pause);
                pause = (pause.compareTo(MAX_PAUSE.dividedBy(2)) > 0) ? MAX_PAUSE : pause.multipliedBy(2);
            }
        }
        if (connection != null) {
            release(connection);
        }
    }

    /**
     * Makes the server answer, so that a half-open connection fails (by the network timeout) instead of
     * looking quiet forever.
     */
    private static void validate(Connection connection) throws SQLException {
        try (Statement statement = connection.createStatement()) {
            statement.execute("select 1");
        }
    }

    private boolean concernsThisCluster(PGNotification @Nullable [] notifications) {
        if (notifications == null) {
            return false;
        }
        for (PGNotification notification : notifications) {
            if (this.clusterName.equals(notification.getParameter())) {
                return true;
            }
        }
        return false;
    }

    private void tell() {
        try {
            this.listener.run();
        }
        catch (RuntimeException ex) {
            logger.warn("A membership watch listener of {} failed", this.channel, ex);
        }
    }

    private boolean isClosed() {
        return this.closed.getCount() == 0;
    }

    private void awaitClose(Duration pause) {
        try {
            this.closed.await(pause.toMillis(), TimeUnit.MILLISECONDS);
        }
        catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            this.closed.countDown();
        }
    }

    /**
     * Stops listening, before giving the connection back to its pool; a connection that fails on the way (or
     * does not answer within the network timeout) is closed all the same, and a pool evicts it on the error.
     */
    private static void release(Connection connection) {
        try (connection; Statement statement = connection.createStatement()) {
            statement.execute("unlisten *");
        }
        catch (SQLException ex) {
            logger.debug("Could not unlisten on a membership connection", ex);
        }
    }

    /**
     * Returns whether the thread still runs (it holds the connection until it ends).
     * @return whether the watch still holds its thread and connection
     */
    boolean isRunning() {
        return this.thread.isAlive();
    }

    @Override
    public void close() {
        this.closed.countDown();
        try {
            if (!this.thread.join(CLOSE_TIMEOUT)) {
                logger.warn("The membership watch of {} did not stop within {}s", this.channel,
                        CLOSE_TIMEOUT.toSeconds());
            }
        }
        catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public String toString() {
        return "PostgresMembershipWatch[" + this.channel + ", cluster " + this.clusterName + "]";
    }
}
