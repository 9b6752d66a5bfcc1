package dev.quark.autoconfigure.health;

import dev.quark.actor.ActorRefFactory;
import dev.quark.autoconfigure.actors.QuarkActorsAutoConfiguration;
import dev.quark.autoconfigure.fixtures.greeting.Greeter;
import dev.quark.autoconfigure.fixtures.greeting.GreeterActor;
import dev.quark.autoconfigure.fixtures.greeting.Salutation;
import dev.quark.runtime.ActorRuntime;
import org.junit.jupiter.api.Test;

import org.springframework.boot.autoconfigure.AutoConfigurationPackage;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.Status;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import static org.assertj.core.api.Assertions.assertThat;

class QuarkHealthContributorAutoConfigurationTests {

    private final ApplicationContextRunner contextRunner = new ApplicationContextRunner()
        .withConfiguration(AutoConfigurations.of(QuarkActorsAutoConfiguration.class,
                QuarkHealthContributorAutoConfiguration.class))
        .withUserConfiguration(GreetingApplication.class);

    @Test
    void healthIsUpWithTheActivationCountWhileTheRuntimeRuns() {
        this.contextRunner.run((context) -> {
            assertThat(context).hasBean("quarkHealthIndicator");
            context.getBean(ActorRefFactory.class).get(Greeter.class, "h").greet("x");
            Health health = context.getBean(ActorRuntimeHealthIndicator.class).health();
            assertThat(health.getStatus()).isEqualTo(Status.UP);
            assertThat(health.getDetails()).containsEntry("activations", 1)
                .containsEntry("actorTypes", java.util.List.of("Greeter"));
        });
    }

    @Test
    void healthIsDownOnceTheRuntimeIsShutDown() {
        this.contextRunner.run((context) -> {
            context.getBean(ActorRuntime.class).close();
            Health health = context.getBean(ActorRuntimeHealthIndicator.class).health();
            assertThat(health.getStatus()).isEqualTo(Status.DOWN);
            assertThat(health.getDetails()).containsEntry("reason", "the actor runtime is shut down");
        });
    }

    @Test
    void healthIndicatorCanBeDisabled() {
        this.contextRunner.withPropertyValues("management.health.quark.enabled=false")
            .run((context) -> assertThat(context).doesNotHaveBean("quarkHealthIndicator"));
    }

    @Test
    void noHealthIndicatorWhenQuarkIsDisabled() {
        this.contextRunner.withPropertyValues("quark.enabled=false")
            .run((context) -> assertThat(context).doesNotHaveBean("quarkHealthIndicator"));
    }

    @Configuration(proxyBeanMethods = false)
    @AutoConfigurationPackage(basePackageClasses = GreeterActor.class)
    static class GreetingApplication {

        @Bean
        Salutation salutation() {
            return new Salutation("Hi");
        }
    }
}
