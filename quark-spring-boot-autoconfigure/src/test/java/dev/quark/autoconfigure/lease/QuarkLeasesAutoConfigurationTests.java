package dev.quark.autoconfigure.lease;

import dev.quark.autoconfigure.backend.QuarkBackendAutoConfiguration;
import dev.quark.lease.LeaseStore;
import dev.quark.lease.memory.InMemoryLeaseStore;
import org.junit.jupiter.api.Test;

import org.springframework.beans.factory.support.DefaultListableBeanFactory;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.mock.env.MockEnvironment;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalStateException;

class QuarkLeasesAutoConfigurationTests {

    private final ApplicationContextRunner contextRunner = new ApplicationContextRunner()
        .withConfiguration(AutoConfigurations.of(QuarkBackendAutoConfiguration.class, QuarkLeasesAutoConfiguration.class));

    @Test
    void byDefaultOneLeaseStoreLivesInMemory() {
        this.contextRunner.run((context) -> {
            assertThat(context).hasSingleBean(LeaseStore.class);
            assertThat(context.getBean(QuarkLeasesAutoConfiguration.MEMORY_LEASE_STORE)).isInstanceOf(InMemoryLeaseStore.class);
            assertThat(QuarkLeasesAutoConfiguration.leaseStore(context.getBeanFactory(), context.getEnvironment(), "jobs"))
                .isSameAs(context.getBean(LeaseStore.class));
        });
    }

    @Test
    void withoutADataSourceOrRedisNoSharedLeaseStoreIsCreated() {
        this.contextRunner.withPropertyValues("quark.leases.backend=postgres")
            .run((context) -> assertThat(context).hasNotFailed().doesNotHaveBean(LeaseStore.class));
        this.contextRunner.withPropertyValues("quark.backend=redis")
            .run((context) -> assertThat(context).hasNotFailed().doesNotHaveBean(LeaseStore.class));
    }

    @Test
    void anAreaOnASharedBackendRefusesInMemoryLeasesNamingTheProperties() {
        MockEnvironment environment = new MockEnvironment().withProperty("quark.jobs.backend", "redis");
        DefaultListableBeanFactory beanFactory = new DefaultListableBeanFactory();
        assertThatIllegalStateException()
            .isThrownBy(() -> QuarkLeasesAutoConfiguration.leaseStore(beanFactory, environment, "jobs"))
            .withMessage("Quark's 'jobs' area keeps its work on quark.jobs.backend=redis but its leases in memory "
                    + "(quark.backend=memory), where each node would grant the same work: set quark.leases.backend=redis");
    }

    @Test
    void aMissingLeaseStoreBeanIsNamedWithItsBackend() {
        MockEnvironment environment = new MockEnvironment().withProperty("quark.backend", "postgres");
        DefaultListableBeanFactory beanFactory = new DefaultListableBeanFactory();
        assertThatIllegalStateException()
            .isThrownBy(() -> QuarkLeasesAutoConfiguration.leaseStore(beanFactory, environment, "durabletasks"))
            .withMessageContaining("'quarkJdbcLeaseStore' of quark.backend=postgres")
            .withMessageContaining("define a DataSource");
    }
}
