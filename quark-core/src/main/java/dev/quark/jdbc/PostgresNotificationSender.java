package dev.quark.jdbc;

import java.nio.charset.StandardCharsets;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.regex.Pattern;

import javax.sql.DataSource;

import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import org.springframework.transaction.support.TransactionSynchronization;
import org.springframework.transaction.support.TransactionSynchronizationManager;

/**
 * Sends PostgreSQL notifications ({@code pg_notify(channel, payload)}) after the sender's transaction commits, from a
 * connection of its own in auto-commit mode, so that the business transaction never executes {@code NOTIFY}.
 * <p>
 * <b>Why.</b> PostgreSQL serialises the commits of every transaction that executed {@code NOTIFY}: each takes a
 * server-wide lock at commit and holds it until its commit record is flushed. A {@code pg_notify} in an application's
 * transaction would queue every such commit of every node behind the others. Here only the sender's own tiny
 * transactions take that lock: one statement per batch.
 * <p>
 * <b>When.</b> {@link #notifyAfterCommit} called inside a Spring-managed transaction (synchronisation active, an
 * actual transaction) remembers the notification for that transaction and hands it to the sender when the
 * transaction commits; a rollback sends nothing. The notifications of one transaction are coalesced there: each
 * distinct (channel, payload) once. Outside a transaction it is handed over at once. Either way the caller never
 * waits for the database: a virtual thread of the sender's own, started with the first notification, drains the
 * queue and sends its distinct pairs in one statement ({@code select pg_notify(c, p) from unnest(?, ?)}), on a
 * connection it borrows from the {@code DataSource} for that statement and gives back at once (it keeps none). A pair already waiting is not queued twice. The transaction that counts is the one active on
 * the calling thread: a write that commits on its own while the thread is in a transaction on another database is
 * notified when that transaction ends (and not at all if it rolls back).
 * <p>
 * <b>Notifications are hints.</b> They may be late, and some may be lost: when the queue holds {@link #CAPACITY}
 * distinct pairs a new one is dropped (and counted, {@link #dropped()}); while the database cannot be reached the
 * queue waits, the sender tries again after a pause that doubles up to {@link #MAX_PAUSE} (one warning per outage,
 * one info line when it sends again); a batch the database refuses for what it holds (SQLState class 22, 0A or 25)
 * is split until the refused pair is alone, which is dropped and logged; {@link #close()} gives what is left up to
 * {@link #CLOSE_TIMEOUT}. Only {@link #close()} ends its thread (an interrupt does not); should it end otherwise (an
 * {@code Error}, logged), the next notification starts another. Receivers must not depend on notifications: their
 * poll interval is the safety net.
 * <p>
 * Needs no PostgreSQL class at run time, but a PostgreSQL database: the first connection of another database fails
 * (logged as an outage).
 */
public final class PostgresNotificationSender implements AutoCloseable {

    /** How many distinct (channel, payload) pairs wait at most; more are dropped. */
    public static final int CAPACITY = 10_000;

    /** The longest pause between two attempts to send after a failure. */
    public static final Duration MAX_PAUSE = Duration.ofSeconds(30);

    /** How long {@link #close()} waits at most for what is queued to be sent. */
    public static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(5);

    /** How long a statement may wait for the server before the connection counts as lost. */
    public static final Duration NETWORK_TIMEOUT = Duration.ofSeconds(5);

    /** The SQLState of a write refused because the transaction is read-only. */
    private static final String READ_ONLY = "25006";

    /** PostgreSQL's limit on a payload, in bytes (UTF-8). */
    public static final int MAX_PAYLOAD_BYTES = 7999;

    /** How many pairs one statement sends at most. */
    private static final int BATCH = 1000;

    private static final Duration FIRST_PAUSE = Duration.ofMillis(100);

    /** Lower-case identifiers, as {@code LISTEN name} (unquoted) listens to; {@link PostgresNotificationListener}'s. */
    private static final Pattern CHANNEL = Pattern.compile("[a-z_][a-z0-9_]{0,62}");

    private static final String SEND = "select count(pg_notify(n.channel, n.payload)) "
            + "from unnest(?::text[], ?::text[]) as n(channel, payload)";

    private static final Logger logger = LoggerFactory.getLogger(PostgresNotificationSender.class);

    private final DataSource dataSource;

    private final String name;

    private final int capacity;

    private final ReentrantLock lock = new ReentrantLock();

    private final Condition changed = this.lock.newCondition();

    private final Set<Pair> pending = new LinkedHashSet<>();

    private final AtomicLong sent = new AtomicLong();

    private final AtomicLong statements = new AtomicLong();

    private final AtomicLong dropped = new AtomicLong();

    private @Nullable Thread thread;

    private boolean closed;

    /**
     * Creates a sender; it starts its thread with its first notification.
     * @param dataSource the PostgreSQL database; a connection is borrowed for each statement and given back
     * @param name what it sends for, in its thread's name and its log lines, for instance {@code jobs}
     */
    public PostgresNotificationSender(DataSource dataSource, String name) {
        this(dataSource, name, CAPACITY);
    }

    /**
     * Creates a sender whose queue holds another number of pairs than {@link #CAPACITY} (for tests).
     * @param dataSource the PostgreSQL database
     * @param name what it sends for
     * @param capacity how many distinct pairs wait at most, at least 1
     */
    public PostgresNotificationSender(DataSource dataSource, String name, int capacity) {
        this.dataSource = OwnTransactions.unproxied(Objects.requireNonNull(dataSource, "dataSource must not be null"));
        this.name = Objects.requireNonNull(name, "name must not be null");
        if (capacity < 1) {
            throw new IllegalArgumentException("capacity must be at least 1, was " + capacity);
        }
        this.capacity = capacity;
    }

    /**
     * Sends {@code pg_notify(channel, payload)} once the transaction active on this thread commits, or soon when none
     * is; never waits for the database.
     * @param channel the channel: lower-case letters, digits and {@code _}, not starting with a digit, at most 63
     * characters (as {@link PostgresNotificationListener} listens)
     * @param payload the payload, at most {@link #MAX_PAYLOAD_BYTES} bytes in UTF-8, possibly empty, without
     * NUL character (U+0000)
     * @throws IllegalArgumentException when the channel or the payload is not such a value
     */
    public void notifyAfterCommit(String channel, String payload) {
        Pair pair = pair(channel, payload);
        if (TransactionSynchronizationManager.isSynchronizationActive()
                && TransactionSynchronizationManager.isActualTransactionActive()) {
            TransactionNotifications notifications = (TransactionNotifications) TransactionSynchronizationManager
                .getResource(this);
            if (notifications == null) {
                notifications = new TransactionNotifications();
                TransactionSynchronizationManager.bindResource(this, notifications);
                TransactionSynchronizationManager.registerSynchronization(notifications);
            }
            notifications.pairs.add(pair);
        }
        else {
            enqueue(List.of(pair));
        }
    }

    /**
     * Sends {@code pg_notify(channel, payload)} soon, whatever transaction this thread is in (for a write that
     * committed already); never waits for the database.
     * @param channel the channel, as for {@link #notifyAfterCommit}
     * @param payload the payload, as for {@link #notifyAfterCommit}
     * @throws IllegalArgumentException when the channel or the payload is not such a value
     */
    public void notifySoon(String channel, String payload) {
        enqueue(List.of(pair(channel, payload)));
    }

    private static Pair pair(String channel, String payload) {
        Objects.requireNonNull(channel, "channel must not be null");
        Objects.requireNonNull(payload, "payload must not be null");
        if (!CHANNEL.matcher(channel).matches()) {
            throw new IllegalArgumentException("Channel '" + channel + "' must be lower-case letters, digits and _, "
                    + "not starting with a digit, at most 63 characters");
        }
        if (payload.indexOf(0) >= 0) {
            throw new IllegalArgumentException("The payload for channel '" + channel
                    + "' contains a NUL character (U+0000), which PostgreSQL text cannot hold: '"
                    + shortened(payload.replace("\0", "\\0")) + "'");
        }
        int bytes = payload.getBytes(StandardCharsets.UTF_8).length;
        if (bytes > MAX_PAYLOAD_BYTES) {
            throw new IllegalArgumentException("The payload for channel '" + channel + "' has " + bytes
                    + " bytes, more than PostgreSQL's " + MAX_PAYLOAD_BYTES + ": '"
                    + payload.substring(0, Math.min(payload.length(), 40)) + "...'");
        }
        return new Pair(channel, payload);
    }

    private static String shortened(String value) {
        return (value.length() <= 40) ? value : value.substring(0, 40) + "...";
    }

    private void enqueue(Iterable<Pair> pairs) {
        this.lock.lock();
        try {
            if (this.closed) {
                logger.debug("The {} notification sender is closed: dropped {}", this.name, pairs);
                return;
            }
            boolean added = false;
            for (Pair pair : pairs) {
                if (this.pending.contains(pair)) {
                    continue;
                }
                if (this.pending.size() >= this.capacity) {
                    this.dropped.incrementAndGet();
                    continue;
                }
                this.pending.add(pair);
                added = true;
            }
            if (added) {
                if (this.thread == null || !this.thread.isAlive()) {
                    Thread started = Thread.ofVirtual().name("quark-notify-" + this.name).unstarted(this::run);
                    this.thread = started;
                    started.start();
                }
                this.changed.signalAll();
            }
        }
        finally {
            this.lock.unlock();
        }
    }

    private void run() {
        Duration pause = FIRST_PAUSE;
        boolean lost = false;
        List<Pair> batch = List.of();
        List<List<Pair>> isolating = new ArrayList<>();
        while (true) {
            this.lock.lock();
            try {
                if (batch.isEmpty() && !isolating.isEmpty()) {
                    batch = isolating.removeLast();
                }
                if (batch.isEmpty()) {
                    while (this.pending.isEmpty() && !this.closed) {
                        this.changed.awaitUninterruptibly();
                    }
                    if (this.pending.isEmpty()) {
                        break;
                    }
                    batch = take();
                }
            }
            finally {
                this.lock.unlock();
            }
            // An interrupt is no request to stop (only close is): it must not fail the next connection.
            Thread.interrupted();
            try {
                send(batch);
                this.sent.addAndGet(batch.size());
                this.statements.incrementAndGet();
                batch = List.of();
                pause = FIRST_PAUSE;
                if (lost) {
                    logger.info("Sending {} notifications again", this.name);
                    lost = false;
                }
            }
            catch (SQLException | RuntimeException ex) {
                // A RuntimeException of the data source (a routing one without a key, say) is an outage too.
                if (ex instanceof SQLException refused && rejected(refused)) {
                    batch = isolate(batch, isolating, refused);
                    continue;
                }
                if (!lost) {
                    logger.warn("Could not send {} notifications, trying again (receivers poll meanwhile): {}",
                            this.name, ex.getMessage());
                    lost = true;
                }
                else {
                    logger.debug("Could not send {} notifications yet", this.name, ex);
                }
                if (!pauseUnlessClosed(pause)) {
                    int left = batch.size();
                    for (List<Pair> part : isolating) {
                        left += part.size();
                    }
                    this.dropped.addAndGet(left + drain());
                    break;
                }
                pause = (pause.compareTo(MAX_PAUSE.dividedBy(2)) > 0) ? MAX_PAUSE : pause.multipliedBy(2);
            }
            catch (Throwable ex) {
                // An Error, not the database's answer: retrying the batch could fail forever, so it goes.
                logger.error("Could not send {} notifications: dropped {}", this.name, batch, ex);
                this.dropped.addAndGet(batch.size());
                batch = List.of();
                if (ex instanceof VirtualMachineError error) {
                    throw error;
                }
            }
        }
    }

    /**
     * Whether the database refused the statement for what it sends rather than failed: data exceptions (class 22),
     * feature not supported (0A), invalid transaction state (25). Sending the same batch again would fail again.
     * A read-only transaction (25006: a hot standby, a primary turned read-only by a failover) is an outage instead:
     * every pair would be refused, and the database may take writes again later.
     */
    private static boolean rejected(SQLException ex) {
        String state = ex.getSQLState();
        return state != null && !READ_ONLY.equals(state)
                && (state.startsWith("22") || state.startsWith("0A") || state.startsWith("25"));
    }

    /**
     * Splits a refused batch in halves, to be sent apart, until the refused pair is alone; a refused single pair is
     * dropped and logged.
     * @return the part to send next
     */
    private List<Pair> isolate(List<Pair> batch, List<List<Pair>> isolating, SQLException ex) {
        if (batch.size() == 1) {
            this.dropped.incrementAndGet();
            logger.warn("PostgreSQL refused the {} notification {}: dropped it ({}, SQLState {})", this.name,
                    batch.getFirst(), ex.getMessage(), ex.getSQLState());
            return List.of();
        }
        int half = batch.size() / 2;
        isolating.add(List.copyOf(batch.subList(half, batch.size())));
        return List.copyOf(batch.subList(0, half));
    }

    /** Takes up to {@link #BATCH} pairs from the queue; under the lock. */
    private List<Pair> take() {
        List<Pair> batch = new ArrayList<>(Math.min(BATCH, this.pending.size()));
        var pairs = this.pending.iterator();
        while (pairs.hasNext() && batch.size() < BATCH) {
            batch.add(pairs.next());
            pairs.remove();
        }
        return batch;
    }

    private int drain() {
        this.lock.lock();
        try {
            int left = this.pending.size();
            this.pending.clear();
            return left;
        }
        finally {
            this.lock.unlock();
        }
    }

    /**
     * Waits the pause; returns {@code false} when the sender was closed meanwhile or before (closing gives up on an
     * unreachable database rather than waiting out the back-off).
     */
    private boolean pauseUnlessClosed(Duration pause) {
        long deadline = System.nanoTime() + pause.toNanos();
        this.lock.lock();
        try {
            long left = pause.toNanos();
            while (!this.closed && left > 0) {
                try {
                    this.changed.awaitNanos(left);
                }
                catch (InterruptedException ex) {
                    // Only close ends the pause early.
                }
                left = deadline - System.nanoTime();
            }
            return !this.closed;
        }
        finally {
            this.lock.unlock();
        }
    }

    /**
     * Borrows a connection, sends the batch in one auto-committed statement (one transaction, one {@code NOTIFY}
     * lock, whatever the number of pairs) and gives the connection back.
     */
    private void send(List<Pair> batch) throws SQLException {
        String[] channels = new String[batch.size()];
        String[] payloads = new String[batch.size()];
        for (int i = 0; i < batch.size(); i++) {
            channels[i] = batch.get(i).channel();
            payloads[i] = batch.get(i).payload();
        }
        try (Connection connection = this.dataSource.getConnection()) {
            String product = connection.getMetaData().getDatabaseProductName();
            if (!"PostgreSQL".equalsIgnoreCase(product)) {
                throw new SQLException("the data source does not give PostgreSQL connections: " + product);
            }
            // The connection is the application's pool's: what is changed on it is set back before it goes back,
            // since not every pool resets a network timeout (Hikari does; others would hand it on to business work).
            int networkTimeout = connection.getNetworkTimeout();
            boolean autoCommit = connection.getAutoCommit();
            boolean restored = false;
            try {
                connection.setNetworkTimeout(Runnable::run, (int) NETWORK_TIMEOUT.toMillis());
                if (!autoCommit) {
                    connection.setAutoCommit(true);
                }
                sendOn(connection, channels, payloads);
                restore(connection, networkTimeout, autoCommit);
                restored = true;
            }
            finally {
                if (!restored) {
                    try {
                        restore(connection, networkTimeout, autoCommit);
                    }
                    catch (SQLException ex) {
                        // Broken: the pool is told not to hand it out again.
                        connection.abort(Runnable::run);
                    }
                }
            }
        }
    }

    private static void sendOn(Connection connection, String[] channels, String[] payloads) throws SQLException {
        Array channelArray = connection.createArrayOf("text", channels);
        Array payloadArray = connection.createArrayOf("text", payloads);
        try (PreparedStatement statement = connection.prepareStatement(SEND)) {
            statement.setArray(1, channelArray);
            statement.setArray(2, payloadArray);
            try (ResultSet result = statement.executeQuery()) {
                result.next();
            }
        }
        finally {
            channelArray.free();
            payloadArray.free();
        }
    }

    private static void restore(Connection connection, int networkTimeout, boolean autoCommit) throws SQLException {
        if (!autoCommit) {
            connection.setAutoCommit(false);
        }
        connection.setNetworkTimeout(Runnable::run, networkTimeout);
    }

    /**
     * Returns how many (channel, payload) pairs were sent, for diagnostics and tests.
     * @return the number of pairs sent since the sender was created
     */
    public long sent() {
        return this.sent.get();
    }

    /**
     * Returns how many statements sent them (one per batch).
     * @return the number of statements that succeeded
     */
    public long statements() {
        return this.statements.get();
    }

    /**
     * Returns how many pairs were dropped: the queue was full, or the sender closed before it could send them.
     * @return the number of pairs dropped
     */
    public long dropped() {
        return this.dropped.get();
    }

    /**
     * Returns how many distinct pairs wait to be sent (not counting those being sent).
     * @return the queue's size
     */
    public int pending() {
        this.lock.lock();
        try {
            return this.pending.size();
        }
        finally {
            this.lock.unlock();
        }
    }

    /**
     * Stops taking notifications, sends what is queued within {@link #CLOSE_TIMEOUT} (gives up at once while the
     * database cannot be reached); idempotent.
     */
    @Override
    public void close() {
        Thread current;
        this.lock.lock();
        try {
            this.closed = true;
            this.changed.signalAll();
            current = this.thread;
        }
        finally {
            this.lock.unlock();
        }
        if (current == null) {
            return;
        }
        try {
            if (!current.join(CLOSE_TIMEOUT)) {
                logger.warn("The sender of {} notifications did not finish within {}s: {} not sent", this.name,
                        CLOSE_TIMEOUT.toSeconds(), pending());
            }
        }
        catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Returns whether its thread runs.
     * @return whether it was started (by a first notification) and has not ended
     */
    public boolean isRunning() {
        this.lock.lock();
        try {
            return this.thread != null && this.thread.isAlive();
        }
        finally {
            this.lock.unlock();
        }
    }

    /** Its thread, started or ended; for tests. */
    @Nullable Thread thread() {
        this.lock.lock();
        try {
            return this.thread;
        }
        finally {
            this.lock.unlock();
        }
    }

    @Override
    public String toString() {
        return "PostgresNotificationSender[" + this.name + "]";
    }

    private record Pair(String channel, String payload) {
    }

    /**
     * The notifications of one transaction, bound as a resource under the sender while it runs and handed over when
     * it commits. It hands them over in the {@code afterCompletion} round rather than {@code afterCommit}: Spring reads
     * the synchronizations afresh for that round, so notifications registered from another synchronization's
     * {@code afterCommit} still go out.
     */
    private final class TransactionNotifications implements TransactionSynchronization {

        private final Set<Pair> pairs = new LinkedHashSet<>();

        @Override
        public void suspend() {
            TransactionSynchronizationManager.unbindResourceIfPossible(PostgresNotificationSender.this);
        }

        @Override
        public void resume() {
            TransactionSynchronizationManager.bindResource(PostgresNotificationSender.this, this);
        }

        @Override
        public void afterCompletion(int status) {
            TransactionSynchronizationManager.unbindResourceIfPossible(PostgresNotificationSender.this);
            if (status == STATUS_COMMITTED) {
                enqueue(this.pairs);
            }
        }
    }
}
