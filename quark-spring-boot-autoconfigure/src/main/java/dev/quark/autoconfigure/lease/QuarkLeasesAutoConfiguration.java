package dev.quark.autoconfigure.lease;

import java.time.Clock;
import java.util.Map;

import javax.sql.DataSource;

import dev.quark.autoconfigure.backend.BackendSelection;
import dev.quark.autoconfigure.backend.QuarkBackend;
import dev.quark.autoconfigure.backend.QuarkBackendAutoConfiguration;
import dev.quark.autoconfigure.backend.QuarkBackendResolver;
import dev.quark.autoconfigure.backend.QuarkChangelog;
import dev.quark.autoconfigure.postgres.QuarkPostgresProperties;
import dev.quark.autoconfigure.redis.QuarkRedisProperties;
import dev.quark.lease.LeaseStore;
import dev.quark.lease.jdbc.JdbcLeaseStore;
import dev.quark.lease.memory.InMemoryLeaseStore;
import dev.quark.lease.redis.RedisLeaseStore;

import org.springframework.beans.factory.BeanFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.sql.init.dependency.DatabaseInitializationDependencyConfigurer;
import org.springframework.boot.sql.init.dependency.DependsOnDatabaseInitialization;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Import;
import org.springframework.core.env.Environment;
import org.springframework.data.redis.connection.RedisConnectionFactory;

/**
 * Auto-configuration of the {@link LeaseStore}s that the areas claiming work with leases (jobs, durable tasks,
 * messaging, reminders with the cluster on, and event subscriptions when some are declared) share: the one place lease stores are declared.
 * <p>
 * An area's leases live on the area's own backend ({@code quark.<area>.backend}, else {@code quark.backend}, else
 * {@code memory}), unless {@code quark.leases.backend} is set, which then holds the leases of every area (see
 * {@link LeaseBackends}). A lease store exists for each backend some area needs, one bean per backend whichever
 * areas share it, named after the backend ({@value #MEMORY_LEASE_STORE}, {@value #JDBC_LEASE_STORE},
 * {@value #REDIS_LEASE_STORE}); an application bean of that name replaces it. With the PostgreSQL store in use the
 * leases changelog is contributed, once. The areas find their store with {@link #leaseStore}, which refuses an
 * explicit {@code quark.leases.backend=memory} for an area whose work lives on a shared backend (several nodes would
 * each grant the same work).
 */
@AutoConfiguration(after = QuarkBackendAutoConfiguration.class,
        afterName = { "org.springframework.boot.data.redis.autoconfigure.DataRedisAutoConfiguration",
                "org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration" })
@ConditionalOnClass(LeaseStore.class)
@ConditionalOnBooleanProperty(name = "quark.enabled", matchIfMissing = true)
public final class QuarkLeasesAutoConfiguration {

    /** The area's name in the backend wiring. */
    public static final String AREA = "leases";

    /** The name of the in-memory lease store bean. */
    public static final String MEMORY_LEASE_STORE = "quarkInMemoryLeaseStore";

    /** The name of the PostgreSQL lease store bean. */
    public static final String JDBC_LEASE_STORE = "quarkJdbcLeaseStore";

    /** The name of the Redis lease store bean. */
    public static final String REDIS_LEASE_STORE = "quarkRedisLeaseStore";

    private static final Map<QuarkBackend, String> BEANS = Map.of(QuarkBackend.MEMORY, MEMORY_LEASE_STORE,
            QuarkBackend.POSTGRES, JDBC_LEASE_STORE, QuarkBackend.REDIS, REDIS_LEASE_STORE);

    /**
     * Returns the lease store of an area that claims work with leases.
     * @param beanFactory the context's bean factory
     * @param environment the environment
     * @param area the area asking, for instance {@code jobs}
     * @return the lease store of {@code quark.leases.backend} when set, else of the area's own backend
     * @throws IllegalStateException naming the properties when {@code quark.leases.backend=memory} is set for an
     * area whose work lives on Redis or PostgreSQL, or naming what to define when the lease store bean is missing
     */
    public static LeaseStore leaseStore(BeanFactory beanFactory, Environment environment, String area) {
        LeaseBackends backends = new LeaseBackends(environment);
        BackendSelection leases = backends.of(area);
        BackendSelection work = new QuarkBackendResolver(environment).resolve(area);
        if (leases.backend() == QuarkBackend.MEMORY && work.backend() != QuarkBackend.MEMORY) {
            throw new IllegalStateException("Quark's '" + area + "' area keeps its work on " + work.setting()
                    + " but its leases in memory (" + leases.setting() + "), where each node would grant the same "
                    + "work: set " + QuarkBackendResolver.backendProperty(AREA) + "=" + work.backend().propertyValue()
                    + " or remove it, so that the leases follow the area's backend");
        }
        String name = BEANS.get(leases.backend());
        if (name == null || !beanFactory.containsBean(name)) {
            throw new IllegalStateException("Quark's '" + area + "' area needs the lease store bean '" + name + "' of "
                    + leases.setting() + ", which was not created: "
                    + ((leases.backend() == QuarkBackend.POSTGRES) ? "define a DataSource"
                            : "define a RedisConnectionFactory")
                    + ", or choose another backend with " + leases.property());
        }
        return beanFactory.getBean(name, LeaseStore.class);
    }

    @Configuration(proxyBeanMethods = false)
    @ConditionalOnLeaseBackend(QuarkBackend.MEMORY)
    static class InMemoryLeasesConfiguration {

        @Bean(MEMORY_LEASE_STORE)
        @ConditionalOnMissingBean(name = MEMORY_LEASE_STORE)
        InMemoryLeaseStore quarkInMemoryLeaseStore(ObjectProvider<Clock> clock) {
            return new InMemoryLeaseStore(clock.getIfUnique(Clock::systemUTC));
        }
    }

    @Configuration(proxyBeanMethods = false)
    @ConditionalOnLeaseBackend(QuarkBackend.POSTGRES)
    @ConditionalOnBean(DataSource.class)
    @Import(DatabaseInitializationDependencyConfigurer.class)
    static class JdbcLeasesConfiguration {

        @Bean(JDBC_LEASE_STORE)
        @ConditionalOnMissingBean(name = JDBC_LEASE_STORE)
        @DependsOnDatabaseInitialization
        JdbcLeaseStore quarkJdbcLeaseStore(DataSource dataSource, QuarkPostgresProperties postgres,
                ObjectProvider<Clock> clock) {
            return new JdbcLeaseStore(dataSource, postgres.tablePrefix(), clock.getIfUnique(Clock::systemUTC));
        }

        @Bean
        @ConditionalOnMissingBean(name = "quarkLeaseChangelog")
        QuarkChangelog quarkLeaseChangelog() {
            return new QuarkChangelog(AREA, JdbcLeaseStore.CHANGELOG);
        }
    }

    @Configuration(proxyBeanMethods = false)
    @ConditionalOnLeaseBackend(QuarkBackend.REDIS)
    @ConditionalOnBean(RedisConnectionFactory.class)
    static class RedisLeasesConfiguration {

        @Bean(REDIS_LEASE_STORE)
        @ConditionalOnMissingBean(name = REDIS_LEASE_STORE)
        RedisLeaseStore quarkRedisLeaseStore(RedisConnectionFactory connectionFactory, QuarkRedisProperties redis,
                ObjectProvider<Clock> clock) {
            return new RedisLeaseStore(connectionFactory, redis.getKeyPrefix(), clock.getIfUnique(Clock::systemUTC));
        }
    }
}
