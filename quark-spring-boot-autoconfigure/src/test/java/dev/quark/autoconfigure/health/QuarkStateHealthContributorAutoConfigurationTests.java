package dev.quark.autoconfigure.health;

import dev.quark.autoconfigure.actors.QuarkActorsAutoConfiguration;
import dev.quark.autoconfigure.backend.QuarkBackendAutoConfiguration;
import dev.quark.autoconfigure.state.QuarkStateAutoConfiguration;
import org.junit.jupiter.api.Test;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.health.contributor.CompositeHealthContributor;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.boot.health.contributor.Status;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

import static org.assertj.core.api.Assertions.assertThat;

class QuarkStateHealthContributorAutoConfigurationTests {

    private final ApplicationContextRunner contextRunner = new ApplicationContextRunner()
        .withConfiguration(AutoConfigurations.of(QuarkActorsAutoConfiguration.class, QuarkBackendAutoConfiguration.class,
                QuarkStateAutoConfiguration.class, QuarkStateHealthContributorAutoConfiguration.class))
        .withPropertyValues("quark.persistence.stores.audit.backend=memory");

    @Test
    void eachStateStoreIsAComponentOfQuarkState() {
        this.contextRunner.run((context) -> {
            CompositeHealthContributor stores = context.getBean("quarkStateHealthContributor",
                    CompositeHealthContributor.class);
            assertThat(stores.stream().map(CompositeHealthContributor.Entry::name)).containsExactly("default", "audit");
            Health health = ((HealthIndicator) stores.getContributor("default")).health();
            assertThat(health.getStatus()).isEqualTo(Status.UP);
            assertThat(health.getDetails()).containsEntry("store", "InMemoryStateStore[0 states]");
        });
    }

    @Test
    void storeThatFailsIsDownWithTheError() {
        Health health = new StateStoreHealthIndicator(new dev.quark.state.StateStore() {
            @Override
            public java.util.Optional<dev.quark.state.StoredState> load(dev.quark.state.StateKey key) {
                throw new IllegalStateException("relation \"quark_actor_state\" does not exist");
            }

            @Override
            public long save(dev.quark.state.StateKey key, String payload, long expectedVersion) {
                throw new UnsupportedOperationException();
            }

            @Override
            public void delete(dev.quark.state.StateKey key, long expectedVersion) {
                throw new UnsupportedOperationException();
            }
        }).health();
        assertThat(health.getStatus()).isEqualTo(Status.DOWN);
        assertThat(health.getDetails()).containsKey("error");
        assertThat(health.getDetails().get("error").toString()).contains("quark_actor_state");
    }

    @Test
    void canBeDisabled() {
        this.contextRunner.withPropertyValues("management.health.quark-state.enabled=false")
            .run((context) -> assertThat(context).doesNotHaveBean("quarkStateHealthContributor"));
    }

    @Test
    void notCreatedWhenQuarkIsDisabled() {
        this.contextRunner.withPropertyValues("quark.enabled=false")
            .run((context) -> assertThat(context).doesNotHaveBean("quarkStateHealthContributor"));
    }
}
