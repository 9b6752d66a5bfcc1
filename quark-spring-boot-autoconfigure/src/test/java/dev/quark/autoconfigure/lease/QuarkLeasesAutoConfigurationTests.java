package dev.quark.autoconfigure.lease;

import java.time.Clock;

import javax.sql.DataSource;

import dev.quark.autoconfigure.backend.QuarkBackendAutoConfiguration;
import dev.quark.autoconfigure.backend.QuarkChangelog;
import dev.quark.lease.LeaseStore;
import dev.quark.lease.jdbc.JdbcLeaseStore;
import dev.quark.lease.memory.InMemoryLeaseStore;
import dev.quark.lease.redis.RedisLeaseStore;
import org.junit.jupiter.api.Test;

import org.springframework.beans.factory.support.DefaultListableBeanFactory;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.assertj.AssertableApplicationContext;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.data.redis.connection.RedisConnectionFactory;
import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;
import org.springframework.jdbc.datasource.SimpleDriverDataSource;
import org.springframework.mock.env.MockEnvironment;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalStateException;

class QuarkLeasesAutoConfigurationTests {

    private final ApplicationContextRunner contextRunner = new ApplicationContextRunner()
        .withConfiguration(AutoConfigurations.of(QuarkBackendAutoConfiguration.class, QuarkLeasesAutoConfiguration.class));

    // Neither connects before it is used: the stores are only built here, never asked.
    private final ApplicationContextRunner withDataSourceAndRedis = this.contextRunner
        .withBean(DataSource.class, () -> new SimpleDriverDataSource(new org.postgresql.Driver(),
                "jdbc:postgresql://127.0.0.1:1/never-used"))
        .withBean(RedisConnectionFactory.class, LettuceConnectionFactory::new)
        .withPropertyValues("quark.postgres.initialize-schema=false");

    @Test
    void byDefaultOneLeaseStoreLivesInMemory() {
        this.contextRunner.run((context) -> {
            assertThat(context).hasSingleBean(LeaseStore.class);
            assertThat(context.getBean(QuarkLeasesAutoConfiguration.MEMORY_LEASE_STORE)).isInstanceOf(InMemoryLeaseStore.class);
            assertThat(leaseStore(context, "jobs")).isSameAs(context.getBean(LeaseStore.class));
        });
    }

    @Test
    void jobsOnPostgresAloneGetJdbcLeasesWhileTheOtherAreasKeepTheirsInMemory() {
        this.withDataSourceAndRedis.withPropertyValues("quark.jobs.backend=postgres").run((context) -> {
            assertThat(context).hasNotFailed().doesNotHaveBean(QuarkLeasesAutoConfiguration.REDIS_LEASE_STORE);
            assertThat(leaseStore(context, "jobs")).isInstanceOf(JdbcLeaseStore.class)
                .isSameAs(context.getBean(QuarkLeasesAutoConfiguration.JDBC_LEASE_STORE));
            assertThat(leaseStore(context, "durabletasks")).isInstanceOf(InMemoryLeaseStore.class);
        });
    }

    @Test
    void remindersOnRedisWithTheClusterGetRedisLeases() {
        this.withDataSourceAndRedis
            .withPropertyValues("quark.reminders.backend=redis", "quark.cluster.enabled=true")
            .run((context) -> {
                assertThat(context).hasNotFailed().doesNotHaveBean(QuarkLeasesAutoConfiguration.JDBC_LEASE_STORE);
                assertThat(leaseStore(context, "reminders")).isInstanceOf(RedisLeaseStore.class)
                    .isSameAs(context.getBean(QuarkLeasesAutoConfiguration.REDIS_LEASE_STORE));
            });
    }

    @Test
    void remindersWithoutTheClusterNeedNoLeases() {
        this.withDataSourceAndRedis.withPropertyValues("quark.reminders.backend=redis")
            .run((context) -> assertThat(context).hasNotFailed()
                .doesNotHaveBean(QuarkLeasesAutoConfiguration.REDIS_LEASE_STORE));
    }

    @Test
    void messagingOnPostgresGetsJdbcLeases() {
        this.withDataSourceAndRedis.withPropertyValues("quark.messaging.backend=postgres")
            .run((context) -> assertThat(leaseStore(context, "messaging")).isInstanceOf(JdbcLeaseStore.class));
    }

    @Test
    void areasOnDifferentBackendsEachGetTheirOwnBackendsLeases() {
        this.withDataSourceAndRedis
            .withPropertyValues("quark.backend=redis", "quark.messaging.backend=postgres", "quark.cluster.enabled=true")
            .run((context) -> {
                assertThat(context).hasNotFailed().doesNotHaveBean(QuarkLeasesAutoConfiguration.MEMORY_LEASE_STORE);
                assertThat(leaseStore(context, "jobs")).isInstanceOf(RedisLeaseStore.class);
                assertThat(leaseStore(context, "durabletasks")).isInstanceOf(RedisLeaseStore.class);
                assertThat(leaseStore(context, "reminders")).isInstanceOf(RedisLeaseStore.class);
                assertThat(leaseStore(context, "messaging")).isInstanceOf(JdbcLeaseStore.class);
            });
    }

    @Test
    void anExplicitLeasesBackendOverridesEveryAreas() {
        this.withDataSourceAndRedis
            .withPropertyValues("quark.jobs.backend=postgres", "quark.messaging.backend=postgres",
                    "quark.leases.backend=redis")
            .run((context) -> {
                assertThat(context).hasNotFailed()
                    .doesNotHaveBean(QuarkLeasesAutoConfiguration.JDBC_LEASE_STORE)
                    .doesNotHaveBean(QuarkLeasesAutoConfiguration.MEMORY_LEASE_STORE);
                assertThat(context.getBeansOfType(QuarkChangelog.class)).isEmpty();
                assertThat(leaseStore(context, "jobs")).isInstanceOf(RedisLeaseStore.class);
                assertThat(leaseStore(context, "messaging")).isInstanceOf(RedisLeaseStore.class);
                assertThat(leaseStore(context, "durabletasks")).isInstanceOf(RedisLeaseStore.class);
            });
    }

    @Test
    void explicitInMemoryLeasesForWorkOnPostgresAreRefusedNamingTheProperty() {
        this.withDataSourceAndRedis.withPropertyValues("quark.jobs.backend=postgres", "quark.leases.backend=memory")
            .run((context) -> assertThatIllegalStateException().isThrownBy(() -> leaseStore(context, "jobs"))
                .withMessage("Quark's 'jobs' area keeps its work on quark.jobs.backend=postgres but its leases in memory "
                        + "(quark.leases.backend=memory), where each node would grant the same work: set "
                        + "quark.leases.backend=postgres or remove it, so that the leases follow the area's backend"));
    }

    @Test
    void explicitInMemoryLeasesForWorkInMemoryAreAccepted() {
        this.contextRunner.withPropertyValues("quark.leases.backend=memory")
            .run((context) -> assertThat(leaseStore(context, "jobs")).isInstanceOf(InMemoryLeaseStore.class));
    }

    @Test
    void anApplicationBeanNamedLikeOurJdbcLeaseStoreReplacesIt() {
        InMemoryLeaseStore own = new InMemoryLeaseStore(Clock.systemUTC());
        this.withDataSourceAndRedis.withBean(QuarkLeasesAutoConfiguration.JDBC_LEASE_STORE, LeaseStore.class, () -> own)
            .withPropertyValues("quark.backend=postgres")
            .run((context) -> {
                assertThat(context).hasNotFailed().doesNotHaveBean(JdbcLeaseStore.class);
                assertThat(leaseStore(context, "jobs")).isSameAs(own);
                assertThat(leaseStore(context, "messaging")).isSameAs(own);
            });
    }

    @Test
    void theLeasesChangelogIsRegisteredOnceHoweverManyAreasLeaseOnPostgres() {
        this.withDataSourceAndRedis.withPropertyValues("quark.backend=postgres", "quark.cluster.enabled=true")
            .run((context) -> assertThat(context.getBeansOfType(QuarkChangelog.class).values())
                .extracting(QuarkChangelog::area)
                .containsExactly(QuarkLeasesAutoConfiguration.AREA));
    }

    @Test
    void withoutADataSourceOrRedisNoLeaseStoreOfThatBackendIsCreated() {
        this.contextRunner.withPropertyValues("quark.leases.backend=postgres")
            .run((context) -> assertThat(context).hasNotFailed().doesNotHaveBean(LeaseStore.class));
        this.contextRunner.withPropertyValues("quark.backend=redis")
            .run((context) -> assertThat(context).hasNotFailed().doesNotHaveBean(LeaseStore.class));
    }

    @Test
    void aMissingLeaseStoreBeanIsNamedWithItsBackendAndWhatToDefine() {
        MockEnvironment environment = new MockEnvironment().withProperty("quark.backend", "postgres");
        DefaultListableBeanFactory beanFactory = new DefaultListableBeanFactory();
        assertThatIllegalStateException()
            .isThrownBy(() -> QuarkLeasesAutoConfiguration.leaseStore(beanFactory, environment, "durabletasks"))
            .withMessageContaining("'quarkJdbcLeaseStore' of quark.backend=postgres")
            .withMessageContaining("define a DataSource");
        MockEnvironment redis = new MockEnvironment().withProperty("quark.jobs.backend", "redis");
        assertThatIllegalStateException()
            .isThrownBy(() -> QuarkLeasesAutoConfiguration.leaseStore(beanFactory, redis, "jobs"))
            .withMessage("Quark's 'jobs' area needs the lease store bean 'quarkRedisLeaseStore' of "
                    + "quark.jobs.backend=redis, which was not created: define a RedisConnectionFactory, "
                    + "or choose another backend with quark.jobs.backend");
    }

    @Test
    void aLeasesBackendNamingNoBackendFailsNamingTheProperty() {
        this.contextRunner.withPropertyValues("quark.leases.backend=mongo")
            .run((context) -> assertThat(context).hasFailed()
                .getFailure()
                .rootCause()
                .hasMessageContaining("quark.leases.backend"));
    }

    private static LeaseStore leaseStore(AssertableApplicationContext context, String area) {
        return QuarkLeasesAutoConfiguration.leaseStore(context.getBeanFactory(), context.getEnvironment(), area);
    }
}
