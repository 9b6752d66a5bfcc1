package dev.quark.autoconfigure.postgres;

import java.sql.SQLException;
import java.util.List;

import javax.sql.DataSource;

import com.zaxxer.hikari.HikariDataSource;
import dev.quark.jdbc.PostgresNotificationSender;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import org.springframework.beans.factory.ListableBeanFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.jdbc.metadata.CompositeDataSourcePoolMetadataProvider;
import org.springframework.boot.jdbc.metadata.DataSourcePoolMetadata;
import org.springframework.boot.jdbc.metadata.DataSourcePoolMetadataProvider;
import org.springframework.util.ClassUtils;

/**
 * What the jobs' and durable tasks' PostgreSQL notifications check when the auto-configuration sets them up: which
 * sender the stores get (a warning when several beans make the choice ambiguous, rather than silently none), and a
 * warning when the application's connection pool is small for the connections the notifications hold (the shared
 * listener's and the sender's).
 */
public final class PostgresNotificationsSetup {

    /** Pools smaller than this get a warning. */
    public static final int SMALL_POOL = 5;

    /** The connections of a pool that notifications hold at most: the shared listener's and the sender's. */
    public static final int NOTIFICATION_CONNECTIONS = 2;

    private static final Logger logger = LoggerFactory.getLogger(PostgresNotificationsSetup.class);

    private static final String PROPERTIES = "quark.jobs.postgres.notify-enabled=false and "
            + "quark.durabletasks.postgres.notify-enabled=false";

    private PostgresNotificationsSetup() {
    }

    /**
     * Returns the single sender bean (or the primary one), or {@code null} with a warning naming the property when
     * several beans leave the choice ambiguous.
     * @param senders the sender beans
     * @param property the notifications' property, for the warning
     * @return the sender, or {@code null} when there is none or no single one
     */
    public static @Nullable PostgresNotificationSender sender(ObjectProvider<PostgresNotificationSender> senders,
            String property) {
        PostgresNotificationSender sender = senders.getIfUnique();
        if (sender == null) {
            List<PostgresNotificationSender> all = senders.stream().toList();
            if (all.size() > 1) {
                logger.warn("{} is on, but there are {} PostgresNotificationSender beans and none is primary: the "
                        + "store sends no notification. Mark one @Primary, or set {}=false", property, all.size(),
                        property);
            }
        }
        return sender;
    }

    /**
     * Logs one warning when the data source is a Hikari pool of fewer than {@link #SMALL_POOL} connections, as
     * {@link #warnIfSmallPool(DataSource, ListableBeanFactory)} does for any pool.
     * @param dataSource the data source whose shared listener opens
     */
    public static void warnIfSmallPool(DataSource dataSource) {
        warnIfSmallPool(dataSource, null);
    }

    /**
     * Logs one warning when the data source is a pool of fewer than {@link #SMALL_POOL} connections: the
     * notifications hold up to {@value #NOTIFICATION_CONNECTIONS} of its connections, the shared listening connection
     * (one per data source, for the cluster membership's watch and the jobs' and durable tasks' wake-ups together) for
     * as long as the node runs, and the one the sender borrows per batch of notifications. Called when the shared
     * listener of the data source is opened. The pool's size is read through Spring Boot's
     * {@code DataSourcePoolMetadataProvider} beans (Hikari, Tomcat JDBC, Commons DBCP2 and Oracle UCP pools, also
     * behind a wrapper that unwraps to them, and any pool an application adds a provider for), or, without them, from a
     * Hikari pool directly. A pool whose size cannot be read gets no warning.
     * @param dataSource the data source whose shared listener opens
     * @param beans where to find the pool metadata providers, or {@code null} to read Hikari pools only
     */
    public static void warnIfSmallPool(DataSource dataSource, @Nullable ListableBeanFactory beans) {
        PoolSize pool = null;
        if (beans != null && ClassUtils.isPresent(BOOT_POOL_METADATA, PostgresNotificationsSetup.class.getClassLoader())) {
            pool = BootPools.size(dataSource, beans);
        }
        if (pool == null && ClassUtils.isPresent("com.zaxxer.hikari.HikariDataSource",
                PostgresNotificationsSetup.class.getClassLoader())) {
            pool = HikariPools.size(dataSource);
        }
        if (pool != null && pool.max() > 0 && pool.max() < SMALL_POOL) {
            logger.warn("The DataSource is a connection pool ({}) of at most {} connections, and PostgreSQL "
                    + "notifications hold up to {} of them: the listening connection, opened now for as long as the "
                    + "node runs and shared by whichever of the cluster membership (PostgreSQL) and the jobs' and "
                    + "durable tasks' wake-ups listen, and, where jobs or durable tasks send notifications, one the "
                    + "sender borrows per batch. Raise the pool's maximum size (for Hikari "
                    + "spring.datasource.hikari.maximum-pool-size); the jobs' and durable tasks' notifications (not the "
                    + "membership's watch) can be turned off with {}", pool.kind(), pool.max(), NOTIFICATION_CONNECTIONS,
                    PROPERTIES);
        }
    }

    private static final String BOOT_POOL_METADATA = "org.springframework.boot.jdbc.metadata.DataSourcePoolMetadataProvider";

    /** A pool's maximum size and what pool it is. */
    private record PoolSize(int max, String kind) {
    }

    /** Touches Spring Boot's JDBC classes only where they are. */
    private static final class BootPools {

        /** The pool's size from the metadata providers, or {@code null} when none of them knows the data source. */
        static @Nullable PoolSize size(DataSource dataSource, ListableBeanFactory beans) {
            try {
                List<DataSourcePoolMetadataProvider> providers = beans
                    .getBeanProvider(DataSourcePoolMetadataProvider.class)
                    .orderedStream()
                    .toList();
                if (providers.isEmpty()) {
                    return null;
                }
                DataSourcePoolMetadata metadata = new CompositeDataSourcePoolMetadataProvider(providers)
                    .getDataSourcePoolMetadata(dataSource);
                if (metadata == null) {
                    return null;
                }
                Integer max = metadata.getMax();
                return (max != null)
                        ? new PoolSize(max, metadata.getClass().getSimpleName().replace("DataSourcePoolMetadata", ""))
                        : null;
            }
            catch (RuntimeException ex) {
                logger.debug("Could not read the pool's size", ex);
                return null;
            }
        }
    }

    /** Touches Hikari's classes only where they are. */
    private static final class HikariPools {

        /** The pool's size, or {@code null} when the data source is no Hikari pool. */
        static @Nullable PoolSize size(DataSource dataSource) {
            try {
                if (dataSource instanceof HikariDataSource hikari) {
                    return new PoolSize(hikari.getMaximumPoolSize(), "Hikari");
                }
                if (dataSource.isWrapperFor(HikariDataSource.class)) {
                    return new PoolSize(dataSource.unwrap(HikariDataSource.class).getMaximumPoolSize(), "Hikari");
                }
            }
            catch (SQLException | RuntimeException ex) {
                logger.debug("Could not read the pool's size", ex);
            }
            return null;
        }
    }
}
