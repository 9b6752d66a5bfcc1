package dev.quark.jdbc;

import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Consumer;

import javax.sql.DataSource;

import org.springframework.jdbc.datasource.DelegatingDataSource;

/**
 * The shared {@link PostgresNotificationListener} of each data source: the areas that listen to PostgreSQL
 * notifications (the cluster membership's watch, the jobs' and the durable tasks' wake-ups) ask it for the listener
 * of their data source and {@link PostgresNotificationListener#subscribe subscribe} their channels on it, so that a
 * node holds one listening connection per data source, not one per area. Closing an area's subscription un-listens
 * its channels only.
 * <p>
 * A data source's listener is created and {@link PostgresNotificationListener#start() started} when it is first asked
 * for (so a node whose areas listen to nothing holds no connection), with no channel yet; it keeps its connection
 * until {@link #close()}, even when every subscription is closed meanwhile. Data sources are told apart by the pool
 * they wrap: Spring's {@link DelegatingDataSource}s (such as a {@code TransactionAwareDataSourceProxy} or a
 * {@code LazyConnectionDataSourceProxy}) are followed to their target, so that wrappers of one pool share its
 * listener, which takes its connections through the first of them asked for (a wrapper may add credentials the pool
 * lacks). Other wrappers (of other libraries) count as data sources of their own.
 * <p>
 * Requires the PostgreSQL JDBC driver, as {@link PostgresNotificationListener} does.
 */
public final class PostgresNotificationListeners implements AutoCloseable {

    private final String name;

    private final Consumer<DataSource> opening;

    private final Map<DataSource, PostgresNotificationListener> listeners = new IdentityHashMap<>();

    /**
     * Creates the registry; it holds nothing until a listener is asked for.
     */
    public PostgresNotificationListeners() {
        this("notifications");
    }

    /**
     * Creates the registry, naming its listeners.
     * @param name the listeners' name, in their threads' names and log lines (with a number when there are several)
     */
    public PostgresNotificationListeners(String name) {
        this(name, (dataSource) -> { });
    }

    /**
     * Creates the registry, naming its listeners and checking each data source before its listener takes a
     * connection (for instance, that its pool has room for it).
     * @param name the listeners' name, in their threads' names and log lines (with a number when there are several)
     * @param opening called once per data source, before its listener is created; what it throws goes to the caller
     * of {@link #listener}
     */
    public PostgresNotificationListeners(String name, Consumer<DataSource> opening) {
        this.name = Objects.requireNonNull(name, "name must not be null");
        this.opening = Objects.requireNonNull(opening, "opening must not be null");
    }

    /**
     * Returns the listener of a data source, started: the one given before while it runs, or a new one, started now
     * (a failure to connect is logged and retried in the background, as {@link PostgresNotificationListener#start()}
     * does). A listener closed meanwhile (its thread may still be ending) is replaced, under the registry's lock, so
     * that the listener returned takes subscriptions; one whose thread ended on an error goes on with a new thread of
     * its own, keeping its subscriptions, and is returned as it is.
     * @param dataSource the PostgreSQL data source
     * @return its listener, started
     */
    public PostgresNotificationListener listener(DataSource dataSource) {
        Objects.requireNonNull(dataSource, "dataSource must not be null");
        synchronized (this.listeners) {
            DataSource pool = pool(dataSource);
            PostgresNotificationListener listener = this.listeners.get(pool);
            if (listener != null && (listener.isClosed() || !listener.isRunning())) {
                // Closed, perhaps still ending: its subscriptions were ended, a new one listens again.
                this.listeners.remove(pool);
                listener = null;
            }
            if (listener == null) {
                this.opening.accept(dataSource);
                String named = this.listeners.isEmpty() ? this.name : this.name + "-" + (this.listeners.size() + 1);
                listener = new PostgresNotificationListener(dataSource, named);
                listener.start();
                this.listeners.put(pool, listener);
            }
            return listener;
        }
    }

    /**
     * Returns the data source a chain of {@link DelegatingDataSource}s ends in (bounded, against a cycle).
     */
    private static DataSource pool(DataSource dataSource) {
        return SPRING_JDBC ? SpringWrappers.pool(dataSource) : dataSource;
    }

    /** Whether spring-jdbc, optional for this module, is there to tell Spring's wrappers. */
    private static final boolean SPRING_JDBC = isPresent("org.springframework.jdbc.datasource.DelegatingDataSource");

    private static boolean isPresent(String className) {
        try {
            Class.forName(className, false, PostgresNotificationListeners.class.getClassLoader());
            return true;
        }
        catch (ClassNotFoundException | LinkageError ex) {
            return false;
        }
    }

    /** Touches spring-jdbc's classes only where they are. */
    private static final class SpringWrappers {

        static DataSource pool(DataSource dataSource) {
            DataSource current = dataSource;
            for (int i = 0; i < 32 && current instanceof DelegatingDataSource delegating; i++) {
                DataSource target = delegating.getTargetDataSource();
                if (target == null) {
                    break;
                }
                current = target;
            }
            return current;
        }
    }

    /**
     * Returns the listeners created so far, for diagnostics.
     * @return the listeners, one per data source asked for
     */
    public List<PostgresNotificationListener> listeners() {
        synchronized (this.listeners) {
            return List.copyOf(this.listeners.values());
        }
    }

    /**
     * Closes every listener, which gives its connection back; a data source asked for afterwards gets a new listener.
     */
    @Override
    public void close() {
        List<PostgresNotificationListener> closing;
        synchronized (this.listeners) {
            closing = new ArrayList<>(this.listeners.values());
            this.listeners.clear();
        }
        closing.forEach(PostgresNotificationListener::close);
    }

    @Override
    public String toString() {
        return "PostgresNotificationListeners[" + listeners() + "]";
    }
}
