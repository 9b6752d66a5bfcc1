package dev.quark.jdbc;

import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalInt;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeoutException;
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
 * as it runs, and hands what arrives to the callbacks of each channel, on one thread of its own.
 * <p>
 * Channels are added with {@link #listen} (or {@link #listenExactly}), one callback each, or {@link #subscribe} (or
 * {@link #subscribeExactly}), any number of callbacks per channel, each removed by closing its {@link Subscription};
 * {@link #unlisten} removes a channel with all its callbacks. Both work before and after {@link #start()} (or
 * {@link #startOrFail()}): before, the first connection runs {@code LISTEN} for each channel; after, only the
 * listener's thread touches the connection, so it runs the {@code LISTEN} or {@code UNLISTEN} a change needs before
 * it next waits for notifications, within {@link #POLL} ({@link Subscription#awaitListening} waits for it). That lets
 * several areas of an application share one listening connection per database
 * ({@link PostgresNotificationListeners}); closing one area's subscriptions un-listens its channels only. The thread
 * asks the PostgreSQL driver for notifications ({@code PGConnection.getNotifications}) every {@link #POLL}. The
 * notifications of one such poll are handed over together: each callback of a channel is called once with the
 * distinct payloads that came for it, so that a burst of notifications costs a callback one call per poll, not one
 * per notification.
 * <p>
 * <b>Notifications are hints.</b> PostgreSQL delivers a notification to the sessions listening when the transaction
 * that sent it commits, and to nobody when it rolls back; one sent while the connection was down is lost, and so is
 * one sent before the {@code LISTEN} of a channel added while running. So when the connection fails, the thread gets
 * a new one after a pause that doubles up to {@link #MAX_PAUSE}, listens again on every channel it has then
 * (including those added meanwhile), and calls every callback once with {@link Notifications#missed()} set. It logs
 * one warning per outage and one info line when listening again. A connection that fails to answer is caught too:
 * waiting for notifications only reads from the socket, which cannot tell a quiet connection from a half-open one,
 * so the thread runs {@code select 1} every {@link #VALIDATE_EVERY}, under a network timeout of
 * {@link #VALIDATION_TIMEOUT}.
 * <p>
 * What a callback throws is logged, and the other callbacks are called all the same. A {@link VirtualMachineError}
 * (or anything else the thread cannot go on after) ends the thread instead, once the other callbacks of that round
 * were called: it gives the connection back, logs an error, and, unless the listener was closed meanwhile, a new
 * thread takes over every subscription after a pause (doubling while the errors come back, up to {@link #MAX_PAUSE},
 * and starting again from the first pause only after a thread listened longer than {@link #MAX_PAUSE} on its
 * connection), listens again on every channel and tells every callback once that it may have missed notifications, as
 * after a lost connection. The subscriptions stay open throughout. Only {@link #close()} cuts that pause short; a
 * channel added during it is listened on when it ends (a channel added while the connection is down for another
 * reason is listened on at once, without waiting for the pause). When no new thread can take over, the listener
 * closes and ends its subscriptions.
 * <p>
 * {@link #close()} stops the thread, which runs {@code UNLISTEN *} and gives the connection back, and waits for it.
 * <p>
 * Requires the PostgreSQL JDBC driver ({@code org.postgresql:postgresql}), an optional dependency of quark-core: load
 * this class only where the data source is PostgreSQL's.
 */
public final class PostgresNotificationListener implements AutoCloseable {

    /** How long the thread waits for notifications at most before it checks whether it was closed or changed. */
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

    /** The subscriptions of each channel, in the order they came; guarded by {@link #lock}. */
    private final Map<String, List<Subscription>> channels = new LinkedHashMap<>();

    private final CountDownLatch closed = new CountDownLatch(1);

    private final Object lock = new Object();

    /**
     * Wakes the thread from its pause between two attempts to connect: released by {@link #close()} and by a channel
     * added while it has no connection (whose {@code LISTEN} should not wait up to {@link #MAX_PAUSE}), except during
     * the pause after a broken thread ({@link #restartPausing}).
     */
    private final Semaphore wakeUp = new Semaphore(0);

    private @Nullable Thread thread;

    private volatile Duration firstPause = FIRST_PAUSE;

    /** The pause before the thread that took over after the last error connects; guarded by {@link #lock}. */
    private @Nullable Duration restartPause;

    /**
     * Whether the thread that took over after an error is in its pause: a channel added then does not cut it short
     * (only {@link #close()} does), or a callback that keeps breaking the thread would be retried at once whenever
     * another area subscribes.
     */
    private volatile boolean restartPausing;

    /** When the running thread's last connection succeeded ({@link System#nanoTime()}); written by the thread only. */
    private long connectedAt;

    /** Whether the running thread connected at all; written by the thread only. */
    private boolean connectedOnce;

    /** The connection the thread holds, written by the thread only. */
    private @Nullable Connection current;

    /** Whether channels were added or removed since the thread last listened on the connection's channels. */
    private volatile boolean changed;

    /**
     * The channels the current connection listens on: written by {@link #start} before the thread starts, then by the
     * thread only.
     */
    private Set<String> listened = new HashSet<>();

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
     * Registers the only callback of a channel, before or after {@link #start()}; after, the thread listens on it
     * within {@link #POLL}.
     * @param channel the channel: lower-case letters, digits and {@code _}, not starting with a digit, at most 63
     * characters (the {@code NOTIFY} side must name it the same, for instance {@code pg_notify('quark_job', ...)})
     * @param callback called on the listener's thread with what came for the channel in one poll, and once with
     * {@link Notifications#missed()} after the connection was lost; it should return quickly (what it throws is
     * logged)
     * @return this listener
     * @throws IllegalArgumentException when the channel is not such a name or has a callback already
     * @throws IllegalStateException when the listener was closed
     */
    public PostgresNotificationListener listen(String channel, Consumer<Notifications> callback) {
        add(checkName(channel), callback, true);
        return this;
    }

    /**
     * Registers the only callback of a channel named exactly as given, case and all, as {@code pg_notify} names it
     * (the {@code LISTEN} quotes it); before or after {@link #start()}. For channels derived from names a user chose,
     * which {@link #listen} would refuse, such as a table prefix with capitals.
     * @param channel the channel: at most 63 bytes in UTF-8, without the NUL character, not blank
     * @param callback as for {@link #listen}
     * @return this listener
     * @throws IllegalArgumentException when the channel is not such a name or has a callback already
     * @throws IllegalStateException when the listener was closed
     */
    public PostgresNotificationListener listenExactly(String channel, Consumer<Notifications> callback) {
        add(checkExactName(channel), callback, true);
        return this;
    }

    /**
     * Adds a callback to a channel, beside the callbacks it may have already, before or after {@link #start()};
     * closing the subscription removes the callback, and un-listens the channel when it was its last.
     * @param channel the channel, as for {@link #listen}
     * @param callback as for {@link #listen}
     * @return the subscription
     * @throws IllegalArgumentException when the channel is not such a name
     * @throws IllegalStateException when the listener was closed
     */
    public Subscription subscribe(String channel, Consumer<Notifications> callback) {
        return add(checkName(channel), callback, false);
    }

    /**
     * Adds a callback to a channel named exactly as given, as {@link #listenExactly} names it, beside the callbacks it
     * may have already; see {@link #subscribe}.
     * @param channel the channel, as for {@link #listenExactly}
     * @param callback as for {@link #listen}
     * @return the subscription
     * @throws IllegalArgumentException when the channel is not such a name
     * @throws IllegalStateException when the listener was closed
     */
    public Subscription subscribeExactly(String channel, Consumer<Notifications> callback) {
        return add(checkExactName(channel), callback, false);
    }

    /**
     * Removes a channel and all its callbacks; the thread runs {@code UNLISTEN} for it within {@link #POLL}. Nothing
     * happens when the channel has no callback. Not for a listener shared by several areas (one of
     * {@link PostgresNotificationListeners}): it would remove the other areas' callbacks of the channel too, so that
     * those areas close their own {@link Subscription}s instead.
     * @param channel the channel, as it was registered
     * @return whether the channel had callbacks
     */
    public boolean unlisten(String channel) {
        Objects.requireNonNull(channel, "channel must not be null");
        List<Subscription> removed;
        synchronized (this.lock) {
            removed = this.channels.remove(channel);
            if (removed == null) {
                return false;
            }
            this.changed = true;
        }
        removed.forEach(Subscription::ended);
        return true;
    }

    /**
     * Returns the channels that have callbacks; the connection listens on them, or will within {@link #POLL}.
     * @return the channels, in the order they were added
     */
    public Set<String> channels() {
        synchronized (this.lock) {
            return Collections.unmodifiableSet(new LinkedHashSet<>(this.channels.keySet()));
        }
    }

    static String checkName(String channel) {
        Objects.requireNonNull(channel, "channel must not be null");
        if (!CHANNEL.matcher(channel).matches()) {
            throw new IllegalArgumentException("Channel '" + channel + "' must be lower-case letters, digits and _, "
                    + "not starting with a digit, at most 63 characters");
        }
        return channel;
    }

    private static String checkExactName(String channel) {
        Objects.requireNonNull(channel, "channel must not be null");
        if (channel.isBlank() || channel.indexOf('\0') >= 0
                || channel.getBytes(StandardCharsets.UTF_8).length > MAX_CHANNEL_BYTES) {
            throw new IllegalArgumentException("Channel '" + channel + "' must not be blank, must not contain NUL and "
                    + "must be at most " + MAX_CHANNEL_BYTES + " bytes in UTF-8");
        }
        return channel;
    }

    private Subscription add(String channel, Consumer<Notifications> callback, boolean only) {
        Objects.requireNonNull(callback, "callback must not be null");
        Subscription subscription = new Subscription(channel, callback);
        boolean wake;
        synchronized (this.lock) {
            if (isClosed()) {
                throw new IllegalStateException("The listener " + this.name + " was closed: cannot listen on '"
                        + channel + "'");
            }
            List<Subscription> subscriptions = this.channels.get(channel);
            if (only && subscriptions != null) {
                throw new IllegalArgumentException("Channel '" + channel + "' has a callback already");
            }
            this.channels.computeIfAbsent(channel, (name) -> new ArrayList<>()).add(subscription);
            this.changed = true;
            wake = this.thread != null && this.pid == 0 && !this.restartPausing;
        }
        if (wake) {
            // No connection: try one now rather than after the pause, so that the LISTEN is not up to MAX_PAUSE late.
            // Not in the pause after a broken thread (restartPausing): that back-off is kept, so the LISTEN waits.
            this.wakeUp.release();
        }
        return subscription;
    }

    private void remove(Subscription subscription) {
        synchronized (this.lock) {
            List<Subscription> subscriptions = this.channels.get(subscription.channel);
            if (subscriptions != null && subscriptions.remove(subscription) && subscriptions.isEmpty()) {
                this.channels.remove(subscription.channel);
                this.changed = true;
            }
        }
        subscription.ended();
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
                            + this.channels.keySet() + ": " + ex.getMessage(), ex);
                }
                logger.warn("Could not listen for {} notifications on {}, trying again in {} ms: {}", this.name,
                        this.channels.keySet(), FIRST_PAUSE.toMillis(), ex.getMessage());
                first = null;
            }
            @Nullable Connection connection = first;
            started = Thread.ofVirtual().name("quark-listen-" + this.name).unstarted(() -> run(connection, this.firstPause));
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
            this.changed = false;
            Set<String> wanted = channels();
            try (Statement statement = connection.createStatement()) {
                for (String channel : wanted) {
                    statement.execute("listen " + quoted(channel));
                }
            }
            this.pid = connection.unwrap(PGConnection.class).getBackendPID();
            this.listened = new HashSet<>(wanted);
            listening(wanted);
            return connection;
        }
        catch (SQLException | RuntimeException ex) {
            release(connection);
            throw ex;
        }
    }

    /**
     * Runs the {@code LISTEN} and {@code UNLISTEN} that the channels added and removed since the last time need, on
     * the listener's thread.
     */
    private void followChanges(Connection connection) throws SQLException {
        if (!this.changed) {
            return;
        }
        this.changed = false;
        Set<String> wanted = channels();
        try (Statement statement = connection.createStatement()) {
            for (String channel : wanted) {
                if (!this.listened.contains(channel)) {
                    statement.execute("listen " + quoted(channel));
                    this.listened.add(channel);
                }
            }
            for (String channel : List.copyOf(this.listened)) {
                if (!wanted.contains(channel)) {
                    statement.execute("unlisten " + quoted(channel));
                    this.listened.remove(channel);
                }
            }
        }
        catch (SQLException | RuntimeException ex) {
            // Listen again from scratch on the next connection.
            this.changed = true;
            throw ex;
        }
        listening(wanted);
    }

    /** Quoted: a channel of listen() is lower case, the same name quoted or not. */
    private static String quoted(String channel) {
        return "\"" + channel.replace("\"", "\"\"") + "\"";
    }

    /** Tells the subscriptions of the channels the connection listens on that they are listening. */
    private void listening(Set<String> listening) {
        List<Subscription> subscriptions = new ArrayList<>();
        synchronized (this.lock) {
            this.channels.forEach((channel, subscribed) -> {
                if (listening.contains(channel)) {
                    subscriptions.addAll(subscribed);
                }
            });
        }
        subscriptions.forEach((subscription) -> subscription.listening.complete(null));
    }

    /**
     * Sets the first pause after a failure to connect (then doubled up to {@link #MAX_PAUSE}), before {@link #start()}
     * (for tests).
     */
    void firstPause(Duration pause) {
        this.firstPause = pause;
    }

    /**
     * The thread's loop. Its close ends it: the connection goes back and the subscriptions end. So does an error it
     * cannot go on after when the listener is not closed meanwhile: the connection goes back, and a new thread takes
     * over the subscriptions ({@link #restart}); only when no thread can be started does the listener close.
     * @param first the connection listening already, or {@code null} to connect after {@code pause}
     * @param pause how long to wait before connecting when {@code first} is {@code null}
     */
    private void run(@Nullable Connection first, Duration pause) {
        this.connectedOnce = first != null;
        this.connectedAt = System.nanoTime();
        @Nullable Throwable failure = null;
        boolean restarted = false;
        try {
            try {
                listenUntilClosed(first, pause);
            }
            catch (Throwable ex) {
                failure = ex;
            }
            finally {
                this.pid = 0;
                @Nullable Connection connection = this.current;
                this.current = null;
                if (connection != null) {
                    release(connection);
                }
            }
        }
        catch (Throwable ex) {
            // release() failing (an Error of the driver) must not leave the listener neither restarted nor closed.
            if (failure == null) {
                failure = ex;
            }
            else {
                failure.addSuppressed(ex);
            }
        }
        finally {
            try {
                if (failure != null) {
                    Duration listened = this.connectedOnce ? Duration.ofNanos(System.nanoTime() - this.connectedAt)
                            : Duration.ZERO;
                    restarted = restart(failure, listened);
                }
            }
            finally {
                if (!restarted) {
                    endAll();
                }
            }
        }
    }

    /** Closes the listener and ends every subscription: the thread ended and none takes over. */
    private void endAll() {
        this.closed.countDown();
        List<Subscription> all = new ArrayList<>();
        synchronized (this.lock) {
            this.channels.values().forEach(all::addAll);
        }
        all.forEach(Subscription::ended);
    }

    /**
     * Starts a new thread after the thread ended on an error while the listener was not closed, so that the areas'
     * subscriptions go on (their callbacks told once that they may have missed notifications when it listens again)
     * instead of ending until the application restarts. The new thread connects after a pause that doubles with each
     * such error, from the first pause up to {@link #MAX_PAUSE}, and starts again from the first pause when the
     * thread listened longer than {@link #MAX_PAUSE} on its last connection before its error (its pause does not
     * count, see {@link #restartPause}): a callback that fails on every notification costs one connection and one
     * error log line per pause, not a loop.
     * @return whether a new thread took over; {@code false} when the listener was closed meanwhile or no thread could
     * be started (the listener then closes)
     */
    private boolean restart(Throwable failure, Duration listened) {
        synchronized (this.lock) {
            if (isClosed()) {
                logger.error("The listener of {} notifications on {} stopped on an error while closing", this.name,
                        this.channels.keySet(), failure);
                return false;
            }
            Duration pause = restartPause(this.restartPause, listened, this.firstPause, MAX_PAUSE);
            this.restartPause = pause;
            try {
                logger.error("The listener of {} notifications on {} stopped on an error; a new thread listens again "
                        + "on every channel in {} ms", this.name, this.channels.keySet(), pause.toMillis(), failure);
                // Permits left from before must not cut the pause short (close() and a channel added later do).
                this.wakeUp.drainPermits();
                this.restartPausing = true;
                Thread next = Thread.ofVirtual().name("quark-listen-" + this.name).unstarted(() -> run(null, pause));
                this.thread = next;
                next.start();
                return true;
            }
            catch (Throwable ex) {
                this.restartPausing = false;
                failure.addSuppressed(ex);
                logger.error("The listener of {} notifications on {} stopped on an error and could not start again",
                        this.name, this.channels.keySet(), failure);
                return false;
            }
        }
    }

    /**
     * The pause before a thread that takes over after an error connects: the first pause after the first error, or
     * when the broken thread had listened on its last connection for longer than {@code max} (measured from that
     * connection, never including the pause before it, so that errors coming back after each pause keep doubling
     * it); otherwise twice the previous pause, at most {@code max}.
     * @param previous the pause before the broken thread, {@code null} when none broke before
     * @param listened how long the broken thread listened on its last connection; zero when it never connected
     */
    static Duration restartPause(@Nullable Duration previous, Duration listened, Duration first, Duration max) {
        if (previous == null || listened.compareTo(max) > 0) {
            return first;
        }
        return (previous.compareTo(max.dividedBy(2)) > 0) ? max : previous.multipliedBy(2);
    }

    /** Listens until closed, keeping the connection it holds in {@link #current} for {@link #run} to give back. */
    private void listenUntilClosed(@Nullable Connection first, Duration firstWait) {
        @Nullable Connection connection = first;
        this.current = first;
        boolean lost = first == null;
        Duration pause = this.firstPause;
        long pollsPerValidation = Math.max(1, this.validateEvery.toMillis() / POLL.toMillis());
        long polls = 0;
        if (lost) {
            awaitClose(firstWait);
        }
        this.restartPausing = false;
        while (!isClosed()) {
            try {
                if (connection == null) {
                    // A channel added from now on wakes the pause after a failure.
                    this.wakeUp.drainPermits();
                    connection = connect();
                    this.current = connection;
                    this.connectedOnce = true;
                    this.connectedAt = System.nanoTime();
                    pause = this.firstPause;
                    if (lost) {
                        logger.info("Listening for {} notifications on {} again", this.name, this.listened);
                        lost = false;
                    }
                    tellEveryone();
                }
                followChanges(connection);
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
                            this.name, channels(), ex.getMessage());
                    lost = true;
                }
                else {
                    logger.debug("Could not listen for {} notifications yet", this.name, ex);
                }
                this.pid = 0;
                if (connection != null) {
                    this.current = null;
                    release(connection);
                    connection = null;
                }
                awaitClose(pause);
                pause = (pause.compareTo(MAX_PAUSE.dividedBy(2)) > 0) ? MAX_PAUSE : pause.multipliedBy(2);
            }
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
        Errors errors = new Errors();
        payloads.forEach((channel, received) -> tell(channel, new Notifications(Set.copyOf(received), false), errors));
        errors.rethrow();
    }

    private void tellEveryone() {
        Errors errors = new Errors();
        for (String channel : channels()) {
            tell(channel, Notifications.MISSED, errors);
        }
        errors.rethrow();
    }

    /**
     * Calls every open callback of a channel; a {@link VirtualMachineError} is kept in {@code errors} for the caller
     * to rethrow once every callback was called, so that the other areas' callbacks are not left out while one keeps
     * breaking the thread.
     */
    private void tell(String channel, Notifications notifications, Errors errors) {
        List<Subscription> subscriptions;
        synchronized (this.lock) {
            List<Subscription> subscribed = this.channels.get(channel);
            if (subscribed == null) {
                return;
            }
            subscriptions = List.copyOf(subscribed);
        }
        for (Subscription subscription : subscriptions) {
            if (!subscription.isOpen()) {
                continue;
            }
            try {
                subscription.callback.accept(notifications);
            }
            catch (VirtualMachineError ex) {
                // The thread cannot go on after this: run() gives the connection back and a new thread takes over,
                // once the other callbacks were called.
                errors.add(ex);
            }
            catch (Throwable ex) {
                // An Error of one area's callback (an AssertionError, a LinkageError) must not end the others'
                // notifications.
                logger.warn("A callback of the {} notifications on {} failed", this.name, channel, ex);
            }
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

    /**
     * Returns whether it was closed: it takes no subscription any more, although its thread may still be ending.
     * @return whether {@link #close()} was called (or its thread ended and could not be replaced)
     */
    public boolean isClosed() {
        return this.closed.getCount() == 0;
    }

    /** Pauses until the pause is over, the listener closed or a channel added ({@link #wakeUp}). */
    private void awaitClose(Duration pause) {
        try {
            if (!isClosed()) {
                this.wakeUp.tryAcquire(pause.toMillis(), TimeUnit.MILLISECONDS);
            }
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
        this.wakeUp.release();
        if (current == null) {
            List<Subscription> all = new ArrayList<>();
            synchronized (this.lock) {
                this.channels.values().forEach(all::addAll);
            }
            all.forEach(Subscription::ended);
            return;
        }
        if (current == Thread.currentThread()) {
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
        return "PostgresNotificationListener[" + this.name + ", " + channels() + "]";
    }

    /** The {@link VirtualMachineError}s of the callbacks of one round, rethrown (the first) once all were called. */
    private static final class Errors {

        private @Nullable VirtualMachineError first;

        void add(VirtualMachineError error) {
            if (this.first == null) {
                this.first = error;
            }
            else if (this.first != error) {
                this.first.addSuppressed(error);
            }
        }

        void rethrow() {
            if (this.first != null) {
                throw this.first;
            }
        }
    }

    /**
     * A callback added to a channel with {@link #subscribe} or {@link #subscribeExactly} (or {@link #listen}); closing
     * it removes the callback, and un-listens the channel when it was the channel's last, leaving the listener and its
     * other channels as they are.
     */
    public final class Subscription implements AutoCloseable {

        private final String channel;

        private final Consumer<Notifications> callback;

        private final CompletableFuture<@Nullable Void> listening = new CompletableFuture<>();

        private volatile boolean open = true;

        private Subscription(String channel, Consumer<Notifications> callback) {
            this.channel = channel;
            this.callback = callback;
        }

        /**
         * Returns the channel.
         * @return the channel, as it was given
         */
        public String channel() {
            return this.channel;
        }

        /**
         * Returns the listener, which holds the connection.
         * @return the listener
         */
        public PostgresNotificationListener listener() {
            return PostgresNotificationListener.this;
        }

        /**
         * Returns whether the subscription was neither closed nor ended by the listener's close.
         * @return whether its callback may still be called
         */
        public boolean isOpen() {
            return this.open;
        }

        /**
         * Waits until the listener's connection listens on the channel: notifications sent afterwards reach the
         * callback (unless the connection is lost, after which the callback is told it may have missed some).
         * @param timeout how long to wait at most
         * @return whether it listens; {@code false} when the listener could not listen within the timeout (no
         * connection), when this subscription or the listener was closed, or when the waiting thread was
         * interrupted (its interrupt status set again)
         */
        public boolean awaitListening(Duration timeout) {
            try {
                this.listening.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
                return this.open;
            }
            catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
                return false;
            }
            catch (ExecutionException | TimeoutException ex) {
                return false;
            }
        }

        /**
         * Runs an action once the connection listens on the channel, on the listener's thread (at once on the calling
         * thread when it listens already); never when the subscription ends first.
         */
        void whenListening(Runnable action) {
            this.listening.thenRun(() -> {
                if (this.open) {
                    action.run();
                }
            });
        }

        private void ended() {
            this.open = false;
            this.listening.completeExceptionally(new IllegalStateException("closed"));
        }

        /**
         * Removes the callback; idempotent.
         */
        @Override
        public void close() {
            if (this.open) {
                remove(this);
            }
        }

        @Override
        public String toString() {
            return "Subscription[" + this.channel + " on " + PostgresNotificationListener.this.name + "]";
        }
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
