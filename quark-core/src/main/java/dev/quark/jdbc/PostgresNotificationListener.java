package dev.quark.jdbc;

import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalInt;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.regex.Pattern;

import javax.sql.DataSource;

import org.jspecify.annotations.Nullable;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Listens to PostgreSQL {@code NOTIFY} channels on one connection of its own, taken from the data source for as long
 * as it runs, and hands what arrives to a callback per channel, on one thread of its own.
 * <p>
 * Register the channels with {@link #listen} (or {@link #listenExactly}) and then {@link #start()} (or
 * {@link #startOrFail()}): it runs {@code LISTEN} for each on the
 * connection, and its thread asks the PostgreSQL driver for notifications ({@code PGConnection.getNotifications})
 * every {@link #POLL}. The notifications of one such poll are handed over together: each channel's callback is called
 * once with the distinct payloads that came for it, so that a burst of notifications costs its callback one call per
 * poll, not one per notification.
 * <p>
 * <b>Notifications are hints.</b> PostgreSQL delivers a notification to the sessions listening when the transaction
 * that sent it commits, and to nobody when it rolls back; one sent while the connection was down is lost. So when the
 * connection fails, the thread gets a new one after a pause that doubles up to {@link #MAX_PAUSE}, listens again, and
 * calls every callback once with {@link Notifications#missed()} set. It logs one warning per outage and one info line
 * when listening again. A connection that fails to answer is caught too: waiting for notifications only reads from
 * the socket, which cannot tell a quiet connection from a half-open one, so the thread runs {@code select 1} every
 * {@link #VALIDATE_EVERY}, under a network timeout of {@link #VALIDATION_TIMEOUT}.
 * <p>
 * {@link #close()} stops the thread, which runs {@code UNLISTEN *} and gives the connection back, and waits for it.
 * <p>
 * Requires the PostgreSQL JDBC driver ({@code org.postgresql:postgresql}), an optional dependency of quark-core: load
 * this class only where the data source is PostgreSQL's.
 */
public final class PostgresNotificationListener implements AutoCloseable {

    /** How long the thread waits for notifications at most before it checks whether it was closed. */
    public static final Duration POLL = Duration.ofMillis(250);

    /** How often the thread checks that the connection still answers. */
    public static final Duration VALIDATE_EVERY = Duration.ofSeconds(5);

    /** How long a statement on the connection may wait for the server before the connection counts as lost. */
    public static final Duration VALIDATION_TIMEOUT = Duration.ofSeconds(5);

    /** The longest pause between two attempts to listen again after a failure. */
    public static final Duration MAX_PAUSE = Duration.ofSeconds(30);

    private static final Duration FIRST_PAUSE = Duration.ofMillis(100);

    private static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(10);

    /** The longest identifier PostgreSQL keeps, in bytes. */
    private static final int MAX_CHANNEL_BYTES = 63;

    /** The channels {@link #listen} takes: lower-case identifiers of at most 63 characters (quoted in LISTEN as all are). */
    private static final Pattern CHANNEL = Pattern.compile("[a-z_][a-z0-9_]{0,62}");

    private static final Logger logger = LoggerFactory.getLogger(PostgresNotificationListener.class);

    private final DataSource dataSource;

    private final String name;

    private final Map<String, Consumer<Notifications>> callbacks = new LinkedHashMap<>();

    private final CountDownLatch closed = new CountDownLatch(1);

    private final Object lock = new Object();

    private @Nullable Thread thread;

    private volatile int pid;

    private volatile Duration validateEvery = VALIDATE_EVERY;

    private volatile Duration validationTimeout = VALIDATION_TIMEOUT;

    /**
     * Creates a listener; it listens once {@link #start() started}.
     * @param dataSource the PostgreSQL database; one of its connections is held while the listener runs
     * @param name what it listens for, in its thread's name and its log lines, for instance {@code jobs}
     */
    public PostgresNotificationListener(DataSource dataSource, String name) {
        this.dataSource = Objects.requireNonNull(dataSource, "dataSource must not be null");
        this.name = Objects.requireNonNull(name, "name must not be null");
    }

    /**
     * Registers the callback of a channel; before {@link #start()} only.
     * @param channel the channel: lower-case letters, digits and {@code _}, not starting with a digit, at most 63
     * characters (the {@code NOTIFY} side must name it the same, for instance {@code pg_notify('quark_job', ...)})
     * @param callback called on the listener's thread with what came for the channel in one poll, and once with
     * {@link Notifications#missed()} after the connection was lost; it should return quickly (what it throws is
     * logged)
     * @return this listener
     * @throws IllegalArgumentException when the channel is not such a name or has a callback already
     * @throws IllegalStateException when the listener was started
     */
    public PostgresNotificationListener listen(String channel, Consumer<Notifications> callback) {
        Objects.requireNonNull(channel, "channel must not be null");
        Objects.requireNonNull(callback, "callback must not be null");
        if (!CHANNEL.matcher(channel).matches()) {
            throw new IllegalArgumentException("Channel '" + channel + "' must be lower-case letters, digits and _, "
                    + "not starting with a digit, at most 63 characters");
        }
        synchronized (this.lock) {
            if (this.thread != null) {
                throw new IllegalStateException("The listener " + this.name + " was started: register channels first");
            }
            if (this.callbacks.putIfAbsent(channel, callback) != null) {
                throw new IllegalArgumentException("Channel '" + channel + "' has a callback already");
            }
        }
        return this;
    }

    /**
     * Registers the callback of a channel named exactly as given, case and all, as {@code pg_notify} names it (the
     * {@code LISTEN} quotes it); before {@link #start()} only. For channels derived from names a user chose, which
     * {@link #listen} would refuse, such as a table prefix with capitals.
     * @param channel the channel: at most 63 bytes in UTF-8, without the NUL character, not blank
     * @param callback as for {@link #listen}
     * @return this listener
     * @throws IllegalArgumentException when the channel is not such a name or has a callback already
     * @throws IllegalStateException when the listener was started
     */
    public PostgresNotificationListener listenExactly(String channel, Consumer<Notifications> callback) {
        Objects.requireNonNull(channel, "channel must not be null");
        Objects.requireNonNull(callback, "callback must not be null");
        if (channel.isBlank() || channel.indexOf('\0') >= 0
                || channel.getBytes(StandardCharsets.UTF_8).length > MAX_CHANNEL_BYTES) {
            throw new IllegalArgumentException("Channel '" + channel + "' must not be blank, must not contain NUL and "
                    + "must be at most " + MAX_CHANNEL_BYTES + " bytes in UTF-8");
        }
        synchronized (this.lock) {
            if (this.thread != null) {
                throw new IllegalStateException("The listener " + this.name + " was started: register channels first");
            }
            if (this.callbacks.putIfAbsent(channel, callback) != null) {
                throw new IllegalArgumentException("Channel '" + channel + "' has a callback already");
            }
        }
        return this;
    }

    /**
     * Checks the connection at other intervals than {@link #VALIDATE_EVERY} and {@link #VALIDATION_TIMEOUT}; before
     * {@link #start()} (for tests).
     * @param validateEvery how often the thread checks that the connection answers, positive
     * @param validationTimeout how long the server may take to answer, at least a millisecond
     * @return this listener
     * @throws IllegalStateException when the listener was started
     */
    public PostgresNotificationListener validation(Duration validateEvery, Duration validationTimeout) {
        if (!validateEvery.isPositive() || validationTimeout.toMillis() < 1) {
            throw new IllegalArgumentException("validateEvery must be positive and validationTimeout at least 1ms");
        }
        synchronized (this.lock) {
            if (this.thread != null) {
                throw new IllegalStateException("The listener " + this.name + " was started: set the validation first");
            }
            this.validateEvery = validateEvery;
            this.validationTimeout = validationTimeout;
        }
        return this;
    }

    /**
     * Listens on the registered channels and starts the thread. When the first connection succeeds, notifications
     * sent from the moment this method returns are delivered; when it fails, the failure is logged and the thread
     * goes on trying (and calls every callback once it listens), so that a database down at start-up does not fail
     * the application.
     * @throws IllegalStateException when it was started or closed already
     */
    public void start() {
        start(false);
    }

    /**
     * Like {@link #start()}, but fails when the first connection or its {@code LISTEN} fails instead of trying again
     * in the background: for a caller that must know at once that it cannot listen. After such a failure the
     * listener holds nothing and is not started: it may be started again, or closed.
     * @throws IllegalStateException when it was started or closed already, or when it could not listen (with the
     * failure as its cause)
     */
    public void startOrFail() {
        start(true);
    }

    private void start(boolean failFast) {
        Thread started;
        synchronized (this.lock) {
            if (this.thread != null || isClosed()) {
                throw new IllegalStateException("The listener " + this.name + " was started already");
            }
            @Nullable Connection first;
            try {
                first = connect();
            }
            catch (SQLException | RuntimeException ex) {
                if (failFast) {
                    throw new IllegalStateException("Could not listen for " + this.name + " notifications on "
                            + this.callbacks.keySet() + ": " + ex.getMessage(), ex);
                }
                logger.warn("Could not listen for {} notifications on {}, trying again in {} ms: {}", this.name,
                        this.callbacks.keySet(), FIRST_PAUSE.toMillis(), ex.getMessage());
                first = null;
            }
            @Nullable Connection connection = first;
            started = Thread.ofVirtual().name("quark-listen-" + this.name).unstarted(() -> run(connection));
            this.thread = started;
        }
        started.start();
    }

    private Connection connect() throws SQLException {
        Connection connection = this.dataSource.getConnection();
        try {
            if (!connection.isWrapperFor(PGConnection.class)) {
                throw new SQLException("the data source does not give PostgreSQL connections: "
                        + connection.getMetaData().getDatabaseProductName());
            }
            connection.setNetworkTimeout(Runnable::run, (int) Math.max(1, this.validationTimeout.toMillis()));
            connection.setAutoCommit(true);
            try (Statement statement = connection.createStatement()) {
                for (String channel : this.callbacks.keySet()) {
                    // Quoted: a channel of listen() is lower case, the same name quoted or not.
                    statement.execute("listen \"" + channel.replace("\"", "\"\"") + "\"");
                }
            }
            this.pid = connection.unwrap(PGConnection.class).getBackendPID();
            return connection;
        }
        catch (SQLException | RuntimeException ex) {
            release(connection);
            throw ex;
        }
    }

    private void run(@Nullable Connection first) {
        @Nullable Connection connection = first;
        boolean lost = first == null;
        Duration pause = FIRST_PAUSE;
        long pollsPerValidation = Math.max(1, this.validateEvery.toMillis() / POLL.toMillis());
        long polls = 0;
        if (lost) {
            awaitClose(pause);
        }
        while (!isClosed()) {
            try {
                if (connection == null) {
                    connection = connect();
                    pause = FIRST_PAUSE;
                    if (lost) {
                        logger.info("Listening for {} notifications on {} again", this.name, this.callbacks.keySet());
                        lost = false;
                    }
                    tellEveryone();
                }
                PGNotification[] notifications = connection.unwrap(PGConnection.class)
                    .getNotifications((int) POLL.toMillis());
                dispatch(notifications);
                if (++polls % pollsPerValidation == 0) {
                    validate(connection);
                }
            }
            catch (SQLException | RuntimeException ex) {
                if (isClosed()) {
                    break;
                }
                if (!lost) {
                    logger.warn("Lost the connection listening for {} notifications on {}, listening again: {}",
                            this.name, this.callbacks.keySet(), ex.getMessage());
                    lost = true;
                }
                else {
                    logger.debug("Could not listen for {} notifications yet", this.name, ex);
                }
                this.pid = 0;
                if (connection != null) {
                    release(connection);
                    connection = null;
                }
                awaitClose(pause);
                pause = (pause.compareTo(MAX_PAUSE.dividedBy(2)) > 0) ? MAX_PAUSE : pause.multipliedBy(2);
            }
        }
        this.pid = 0;
        if (connection != null) {
            release(connection);
        }
    }

    private void dispatch(PGNotification @Nullable [] notifications) {
        if (notifications == null || notifications.length == 0) {
            return;
        }
        Map<String, Set<String>> payloads = new LinkedHashMap<>();
        for (PGNotification notification : notifications) {
            String payload = notification.getParameter();
            payloads.computeIfAbsent(notification.getName(), (channel) -> new LinkedHashSet<>())
                .add((payload != null) ? payload : "");
        }
        payloads.forEach((channel, received) -> tell(channel, new Notifications(Set.copyOf(received), false)));
    }

    private void tellEveryone() {
        for (String channel : this.callbacks.keySet()) {
            tell(channel, Notifications.MISSED);
        }
    }

    private void tell(String channel, Notifications notifications) {
        Consumer<Notifications> callback = this.callbacks.get(channel);
        if (callback == null) {
            return;
        }
        try {
            callback.accept(notifications);
        }
        catch (RuntimeException ex) {
            logger.warn("A callback of the {} notifications on {} failed", this.name, channel, ex);
        }
    }

    /**
     * Makes the server answer, so that a half-open connection fails (by the network timeout) instead of looking quiet
     * forever.
     */
    private static void validate(Connection connection) throws SQLException {
        try (Statement statement = connection.createStatement()) {
            statement.execute("select 1");
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
     * Stops listening before giving the connection back to its pool; a connection that fails on the way is closed all
     * the same, and a pool evicts it on the error.
     */
    private static void release(Connection connection) {
        try (connection; Statement statement = connection.createStatement()) {
            statement.execute("unlisten *");
        }
        catch (SQLException ex) {
            logger.debug("Could not unlisten on a listening connection", ex);
        }
    }

    /**
     * Returns the server process id of the connection it listens on (as in {@code pg_stat_activity}), for
     * diagnostics.
     * @return the process id; empty while it has no connection
     */
    public OptionalInt connectionPid() {
        int current = this.pid;
        return (current != 0) ? OptionalInt.of(current) : OptionalInt.empty();
    }

    /**
     * Returns whether its thread runs (it holds the connection until it ends).
     * @return whether it was started and its thread has not ended
     */
    public boolean isRunning() {
        Thread current;
        synchronized (this.lock) {
            current = this.thread;
        }
        return current != null && current.isAlive();
    }

    /**
     * Stops listening, gives the connection back and waits up to 10 seconds for the thread to end; idempotent.
     */
    @Override
    public void close() {
        Thread current;
        synchronized (this.lock) {
            this.closed.countDown();
            current = this.thread;
        }
        if (current == null || current == Thread.currentThread()) {
            // Closed by one of its own callbacks: the thread ends when the callback returns.
            return;
        }
        try {
            if (!current.join(CLOSE_TIMEOUT)) {
                logger.warn("The listener of {} notifications did not stop within {}s", this.name,
                        CLOSE_TIMEOUT.toSeconds());
            }
        }
        catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public String toString() {
        return "PostgresNotificationListener[" + this.name + ", " + this.callbacks.keySet() + "]";
    }

    /**
     * What came for a channel in one poll.
     * @param payloads the distinct payloads received ({@code ""} for a notification without one); empty when
     * {@code missed}
     * @param missed whether notifications may have been missed (the listener listens again after losing its
     * connection, or for the first time after a failed start): act as if every payload had come
     */
    public record Notifications(Set<String> payloads, boolean missed) {

        static final Notifications MISSED = new Notifications(Set.of(), true);

        /**
         * Copies the payloads.
         */
        public Notifications {
            payloads = Set.copyOf(payloads);
        }

        /**
         * Returns whether this may concern a payload: it came, or notifications may have been missed.
         * @param payload the payload
         * @return whether to act on it
         */
        public boolean mayConcern(String payload) {
            return this.missed || this.payloads.contains(payload);
        }
    }
}
