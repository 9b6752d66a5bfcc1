package dev.quark.autoconfigure.actors;

import java.time.Clock;
import java.time.Duration;

import dev.quark.actor.ActorRefFactory;
import dev.quark.autoconfigure.fixtures.duplicate.FirstEcho;
import dev.quark.autoconfigure.fixtures.duplicate.SecondEcho;
import dev.quark.autoconfigure.fixtures.greeting.Greeter;
import dev.quark.autoconfigure.fixtures.greeting.GreeterActor;
import dev.quark.autoconfigure.fixtures.greeting.Salutation;
import dev.quark.autoconfigure.fixtures.singleton.SingletonTicker;
import dev.quark.autoconfigure.fixtures.unsupported.Loader;
import dev.quark.autoconfigure.fixtures.unsupported.LoaderActor;
import dev.quark.runtime.ActorRuntime;
import dev.quark.runtime.ActorRuntimeDefaults;
import dev.quark.runtime.TurnScheduler;
import dev.quark.runtime.HeapReading;
import org.junit.jupiter.api.Test;

import org.springframework.boot.autoconfigure.AutoConfigurationPackage;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.context.properties.source.InvalidConfigurationPropertyValueException;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.ComponentScan;
import org.springframework.context.annotation.Configuration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

class QuarkActorsAutoConfigurationTests {

    private final ApplicationContextRunner contextRunner = new ApplicationContextRunner()
        .withConfiguration(AutoConfigurations.of(QuarkActorsAutoConfiguration.class))
        .withUserConfiguration(GreetingApplication.class);

    @Test
    void runtimeIsTheActorRefFactoryAndHostsScannedActorsWithConstructorInjection() {
        this.contextRunner.run((context) -> {
            assertThat(context).hasSingleBean(ActorRuntime.class).hasSingleBean(ActorRefFactory.class);
            Greeter greeter = context.getBean(ActorRefFactory.class).get(Greeter.class, "g-1");
            assertThat(greeter.greet("Ada")).isEqualTo("Hello, Ada from g-1");
        });
    }

    @Test
    void eachActivationGetsItsOwnPrototypeInstance() {
        this.contextRunner.run((context) -> {
            ActorRefFactory actors = context.getBean(ActorRefFactory.class);
            int first = actors.get(Greeter.class, "a").instanceNumber();
            int second = actors.get(Greeter.class, "b").instanceNumber();
            assertThat(first).isNotEqualTo(second);
            assertThat(actors.get(Greeter.class, "a").instanceNumber()).isEqualTo(first);
        });
    }

    @Test
    void actorImplementationsAreNotInjectableByType() {
        this.contextRunner.withUserConfiguration(ActorConsumer.class).run((context) -> {
            assertThat(context.getBean("injectedActor")).isEqualTo("none");
            assertThat(context.getBean("injectedContract")).isEqualTo("none");
        });
    }

    @Test
    void endedActivationsAreDestroyedAsBeans() {
        this.contextRunner.run((context) -> {
            Greeter greeter = context.getBean(ActorRefFactory.class).get(Greeter.class, "leaving");
            int instance = greeter.instanceNumber();
            greeter.leave();
            Salutation salutation = context.getBean(Salutation.class);
            org.awaitility.Awaitility.await()
                .atMost(Duration.ofSeconds(5))
                .until(() -> salutation.events().contains("destroyed:" + instance));
            assertThat(salutation.events()).containsExactly("leaving:deactivate:EXPLICIT", "destroyed:" + instance);
        });
    }

    @Test
    void closingTheContextDeactivatesActorsBeforeSingletonsAreDestroyed() {
        Salutation[] salutation = new Salutation[1];
        this.contextRunner.run((context) -> {
            salutation[0] = context.getBean(Salutation.class);
            context.getBean(ActorRefFactory.class).get(Greeter.class, "open").greet("x");
        });
        assertThat(salutation[0].events()).contains("open:deactivate:SHUTDOWN");
    }

    @Test
    void disabledQuarkCreatesNoRuntime() {
        this.contextRunner.withPropertyValues("quark.enabled=false")
            .run((context) -> assertThat(context).doesNotHaveBean(ActorRuntime.class));
    }

    @Test
    void userDefinedRuntimeMakesTheAutoConfigurationBackOff() {
        this.contextRunner.withUserConfiguration(CustomRuntime.class).run((context) -> {
            assertThat(context).hasSingleBean(ActorRuntime.class);
            assertThat(context.getBean(ActorRuntime.class)).isSameAs(context.getBean("customRuntime"));
        });
    }

    @Test
    void propertiesBindWithDocumentedDefaults() {
        this.contextRunner.run((context) -> {
            QuarkActorsProperties properties = context.getBean(QuarkActorsProperties.class);
            assertThat(properties.getIdleTimeout()).isEqualTo(Duration.ofMinutes(15));
            assertThat(properties.getMailboxCapacity()).isEqualTo(1000);
            assertThat(properties.getMailboxFullTimeout()).isEqualTo(Duration.ofSeconds(10));
            assertThat(properties.getCallTimeout()).isEqualTo(Duration.ofSeconds(30));
        });
        this.contextRunner.withPropertyValues("quark.actors.idle-timeout=2m", "quark.actors.mailbox-capacity=5")
            .run((context) -> {
                QuarkActorsProperties properties = context.getBean(QuarkActorsProperties.class);
                assertThat(properties.getIdleTimeout()).isEqualTo(Duration.ofMinutes(2));
                assertThat(properties.getMailboxCapacity()).isEqualTo(5);
            });
    }

    @Test
    void propertyDefaultsAreTheRuntimesDefaults() {
        QuarkActorsProperties properties = new QuarkActorsProperties();
        assertThat(properties.getIdleTimeout()).isEqualTo(ActorRuntimeDefaults.IDLE_TIMEOUT);
        assertThat(properties.getCollectionInterval()).isEqualTo(ActorRuntimeDefaults.COLLECTION_INTERVAL);
        assertThat(properties.getMailboxCapacity()).isEqualTo(ActorRuntimeDefaults.MAILBOX_CAPACITY);
        assertThat(properties.getMailboxFullTimeout()).isEqualTo(ActorRuntimeDefaults.MAILBOX_FULL_TIMEOUT);
        assertThat(properties.getCallTimeout()).isEqualTo(ActorRuntimeDefaults.CALL_TIMEOUT);
        assertThat(properties.getPlatformCallerSpin()).isEqualTo(ActorRuntimeDefaults.PLATFORM_CALLER_SPIN);
        assertThat(properties.getShutdownTimeout()).isEqualTo(ActorRuntimeDefaults.SHUTDOWN_TIMEOUT);
        assertThat(properties.getSheddingCheckInterval()).isEqualTo(ActorRuntimeDefaults.SHEDDING_CHECK_INTERVAL);
        assertThat(properties.getTurnScheduler()).isEqualTo(ActorRuntimeDefaults.TURN_SCHEDULER);
        assertThat(properties.getReadyQueue().getMaxRunners()).isEqualTo(ActorRuntimeDefaults.READY_QUEUE_MAX_RUNNERS);
    }

    @Test
    void zeroTimeoutsAreRejectedByTheRuntimesRulesNamingTheProperty() {
        this.contextRunner.withPropertyValues("quark.actors.call-timeout=0s").run((context) -> {
            assertThat(context).hasFailed();
            assertThat(context.getStartupFailure()).rootCause()
                .isInstanceOf(InvalidConfigurationPropertyValueException.class)
                .hasMessage("Property quark.actors.call-timeout with value 'PT0S' is invalid: must be positive");
        });
        this.contextRunner.withPropertyValues("quark.actors.mailbox-full-timeout=0s")
            .run((context) -> assertThat(context).as("zero fails at once, it is allowed").hasNotFailed());
    }

    @Test
    void aPlatformCallerSpinOutOfRangeIsRejectedNamingThePropertyAndZeroTurnsItOff() {
        this.contextRunner.withPropertyValues("quark.actors.platform-caller-spin=-1us").run((context) -> {
            assertThat(context).hasFailed();
            assertThat(context.getStartupFailure()).rootCause()
                .isInstanceOf(InvalidConfigurationPropertyValueException.class)
                .hasMessage("Property quark.actors.platform-caller-spin with value 'PT-0.000001S' is invalid: "
                        + "must not be negative");
        });
        this.contextRunner.withPropertyValues("quark.actors.platform-caller-spin=2ms").run((context) -> {
            assertThat(context).hasFailed();
            assertThat(context.getStartupFailure()).rootCause()
                .hasMessage("Property quark.actors.platform-caller-spin with value 'PT0.002S' is invalid: "
                        + "must be at most 1000 µs");
        });
        this.contextRunner.withPropertyValues("quark.actors.platform-caller-spin=50")
            .run((context) -> assertThat(context.getBean(QuarkActorsProperties.class).getPlatformCallerSpin())
                .as("a number without a unit is in microseconds")
                .isEqualTo(Duration.ofNanos(50_000)));
        this.contextRunner.withPropertyValues("quark.actors.platform-caller-spin=0s").run((context) -> {
            assertThat(context).hasNotFailed();
            assertThat(context.getBean(QuarkActorsProperties.class).getPlatformCallerSpin()).isZero();
            assertThat(context.getBean(ActorRefFactory.class).get(Greeter.class, "g").greet("x")).isNotNull();
        });
    }

    @Test
    void sheddingIsOffByDefault() {
        this.contextRunner.run((context) -> {
            QuarkActorsProperties properties = context.getBean(QuarkActorsProperties.class);
            assertThat(properties.getMaxActivations()).isNull();
            assertThat(properties.getSheddingCheckInterval()).isEqualTo(Duration.ofSeconds(1));
            assertThat(properties.getMemoryPressure().isEnabled()).isFalse();
            assertThat(properties.getMemoryPressure().getLimitPercent()).isEqualTo(80);
            assertThat(properties.getMemoryPressure().getTargetPercent()).isEqualTo(75);
            ActorRuntime runtime = context.getBean(ActorRuntime.class);
            for (int i = 0; i < 3; i++) {
                context.getBean(ActorRefFactory.class).get(Greeter.class, "g" + i).greet("x");
            }
            assertThat(runtime.collectIdleActivations()).isZero();
        });
    }

    @Test
    void maxActivationsShedsTheLeastRecentlyUsedIdleActivations() {
        this.contextRunner.withPropertyValues("quark.actors.max-activations=2", "quark.actors.shedding-check-interval=1h")
            .run((context) -> {
                assertThat(context.getBean(QuarkActorsProperties.class).getMaxActivations()).isEqualTo(2);
                ActorRuntime runtime = context.getBean(ActorRuntime.class);
                for (int i = 0; i < 3; i++) {
                    context.getBean(ActorRefFactory.class).get(Greeter.class, "g" + i).greet("x");
                }
                assertThat(runtime.collectIdleActivations()).isEqualTo(2);
                assertThat(runtime.activationCount()).isEqualTo(1);
            });
    }

    @Test
    void memoryPressurePropertiesReachTheRuntime() {
        this.contextRunner
            .withPropertyValues("quark.actors.memory-pressure.enabled=true",
                    "quark.actors.memory-pressure.limit-percent=90", "quark.actors.memory-pressure.target-percent=50",
                    "quark.actors.shedding-check-interval=1h")
            .withBean(ActorRuntimeBuilderCustomizer.class,
                    () -> (builder) -> builder.heapUsage(() -> new HeapReading(91, 100, 1)))
            .run((context) -> {
                ActorRuntime runtime = context.getBean(ActorRuntime.class);
                for (int i = 0; i < 4; i++) {
                    context.getBean(ActorRefFactory.class).get(Greeter.class, "g" + i).greet("x");
                }
                assertThat(runtime.collectIdleActivations()).as("ceil(4 x (91 - 50) / 91)").isEqualTo(2);
            });
    }

    @Test
    void invalidSheddingPropertiesFailStartupNamingThePropertyAndValue() {
        assertInvalid("max-activations=0", "Property quark.actors.max-activations with value '0' is invalid: must be "
                + "positive");
        assertInvalid("shedding-check-interval=0s", "Property quark.actors.shedding-check-interval with value 'PT0S' "
                + "is invalid: must be positive");
        assertInvalid("memory-pressure.limit-percent=100", "Property quark.actors.memory-pressure.limit-percent with "
                + "value '100' is invalid: must be between 1 and 99");
        assertInvalid("memory-pressure.target-percent=0", "Property quark.actors.memory-pressure.target-percent with "
                + "value '0' is invalid: must be between 1 and 99");
        assertInvalid("memory-pressure.target-percent=80", "Property quark.actors.memory-pressure.target-percent with "
                + "value '80' is invalid: must be below the limit (80)");
    }

    @Test
    void readyQueueTurnSchedulerRunsTurnsOnItsRunners() {
        this.contextRunner.withPropertyValues("quark.actors.turn-scheduler=ready-queue").run((context) -> {
            assertThat(context).hasNotFailed();
            assertThat(context.getBean(QuarkActorsProperties.class).getTurnScheduler())
                .isEqualTo(TurnScheduler.READY_QUEUE);
            Greeter greeter = context.getBean(ActorRuntime.class).get(Greeter.class, "scheduled");
            assertThat(greeter.threadName()).startsWith("quark-turn-");
            // Only the ready-queue scheduler has a monitor thread and numbers its runner threads.
            assertThat(readyQueueMonitors()).isPositive();
        });
        this.contextRunner.withPropertyValues("quark.actors.turn-scheduler=virtual-threads").run((context) -> {
            long before = readyQueueMonitors();
            assertThat(context.getBean(ActorRuntime.class).get(Greeter.class, "virtual").threadName())
                .as("a virtual turn thread's name has no runner number").isEqualTo("quark-turn");
            assertThat(readyQueueMonitors()).isLessThanOrEqualTo(before);
        });
    }

    private static long readyQueueMonitors() {
        return Thread.getAllStackTraces().keySet().stream()
            .filter((thread) -> thread.isAlive() && thread.getName().equals("quark-turn-monitor"))
            .count();
    }

    @Test
    void readyQueueRunnerCapBindsAndAnInvalidOneFailsStartupNamingThePropertyAndValue() {
        this.contextRunner
            .withPropertyValues("quark.actors.turn-scheduler=ready-queue", "quark.actors.ready-queue.max-runners=4")
            .run((context) -> {
                assertThat(context).hasNotFailed();
                assertThat(context.getBean(QuarkActorsProperties.class).getReadyQueue().getMaxRunners()).isEqualTo(4);
                assertThat(context.getBean(ActorRuntime.class).get(Greeter.class, "capped").threadName())
                    .startsWith("quark-turn-");
            });
        assertInvalid("ready-queue.max-runners=0", "Property quark.actors.ready-queue.max-runners with value '0' is "
                + "invalid: must be positive");
        assertInvalid("ready-queue.max-runners=-1", "Property quark.actors.ready-queue.max-runners with value '-1' is "
                + "invalid: must be positive");
    }

    @Test
    void unknownTurnSchedulerFailsStartupNamingThePropertyAndValue() {
        this.contextRunner.withPropertyValues("quark.actors.turn-scheduler=fork-join").run((context) -> {
            assertThat(context).hasFailed();
            assertThat(context.getStartupFailure())
                .hasStackTraceContaining("Failed to bind properties under 'quark.actors.turn-scheduler'")
                .hasStackTraceContaining("for value [fork-join]");
        });
    }

    private void assertInvalid(String property, String message) {
        this.contextRunner.withPropertyValues("quark.actors." + property).run((context) -> {
            assertThat(context).hasFailed();
            assertThat(context.getStartupFailure()).rootCause()
                .isInstanceOf(InvalidConfigurationPropertyValueException.class)
                .hasMessage(message);
        });
    }

    @Test
    void clockBeanIsUsedByTheRuntime() {
        this.contextRunner.withBean(Clock.class, () -> Clock.fixed(java.time.Instant.EPOCH, java.time.ZoneOffset.UTC))
            .run((context) -> assertThat(context.getBean(ActorRuntime.class).clock().instant())
                .isEqualTo(java.time.Instant.EPOCH));
    }

    @Test
    void customizersRunAfterTheProperties() {
        this.contextRunner.withPropertyValues("quark.actors.idle-timeout=15m", "quark.actors.collection-interval=50ms")
            .withBean(ActorRuntimeBuilderCustomizer.class,
                    () -> (builder) -> builder.idleTimeout(Duration.ofMillis(50)))
            .run((context) -> {
                ActorRuntime runtime = context.getBean(ActorRuntime.class);
                context.getBean(ActorRefFactory.class).get(Greeter.class, "idle").greet("Ada");
                await("the customizer's 50 ms idle timeout, not the property's 15 minutes")
                    .atMost(Duration.ofSeconds(10))
                    .until(() -> !runtime.isActive(Greeter.class, "idle"));
            });
    }

    @Test
    void negativeMailboxCapacityFailsStartupNamingTheProperty() {
        this.contextRunner.withPropertyValues("quark.actors.mailbox-capacity=-5").run((context) -> {
            assertThat(context).hasFailed();
            assertThat(context.getStartupFailure()).rootCause()
                .isInstanceOf(InvalidConfigurationPropertyValueException.class)
                .hasMessage("Property quark.actors.mailbox-capacity with value '-5' is invalid: must be positive");
        });
    }

    @Test
    void negativeTimeoutsFailStartupNamingTheProperty() {
        for (String property : new String[] { "call-timeout", "idle-timeout", "mailbox-full-timeout",
                "collection-interval", "shutdown-timeout" }) {
            this.contextRunner.withPropertyValues("quark.actors." + property + "=-1s").run((context) -> {
                assertThat(context).hasFailed();
                assertThat(context.getStartupFailure()).rootCause()
                    .isInstanceOf(InvalidConfigurationPropertyValueException.class)
                    .hasMessageContaining("quark.actors." + property)
                    .hasMessageContaining("PT-1S");
            });
        }
    }

    @Test
    void twoImplementationsOfOneContractFailStartupNamingBoth() {
        new ApplicationContextRunner().withConfiguration(AutoConfigurations.of(QuarkActorsAutoConfiguration.class))
            .withUserConfiguration(DuplicateApplication.class)
            .run((context) -> {
                assertThat(context).hasFailed();
                assertThat(context.getStartupFailure()).rootCause()
                    .hasMessageContaining(FirstEcho.class.getName())
                    .hasMessageContaining(SecondEcho.class.getName());
            });
    }

    @Test
    void unsupportedReturnTypeFailsStartupNamingTheMethod() {
        new ApplicationContextRunner().withConfiguration(AutoConfigurations.of(QuarkActorsAutoConfiguration.class))
            .withUserConfiguration(UnsupportedApplication.class)
            .run((context) -> {
                assertThat(context).hasFailed();
                assertThat(context.getStartupFailure()).rootCause()
                    .hasMessageContaining(Loader.class.getName() + ".load()");
            });
    }

    @Test
    void actorRegisteredAsSingletonFailsStartupNamingTheBean() {
        new ApplicationContextRunner().withConfiguration(AutoConfigurations.of(QuarkActorsAutoConfiguration.class))
            .withUserConfiguration(SingletonApplication.class)
            .run((context) -> {
                assertThat(context).hasFailed();
                assertThat(context.getStartupFailure()).rootCause()
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining(SingletonTicker.class.getName())
                    .hasMessageContaining("prototype");
            });
    }

    @Test
    void withoutAutoConfigurationPackageNoActorIsRegistered() {
        new ApplicationContextRunner().withConfiguration(AutoConfigurations.of(QuarkActorsAutoConfiguration.class))
            .run((context) -> {
                assertThat(context).hasSingleBean(ActorRuntime.class);
                assertThat(context.getBean(ActorRuntime.class).actorTypes()).isEmpty();
            });
    }

    @Configuration(proxyBeanMethods = false)
    @AutoConfigurationPackage(basePackageClasses = GreeterActor.class)
    static class GreetingApplication {

        @Bean
        Salutation salutation() {
            return new Salutation("Hello");
        }
    }

    @Configuration(proxyBeanMethods = false)
    static class ActorConsumer {

        @Bean
        String injectedActor(java.util.Optional<GreeterActor> actor) {
            return actor.map(Object::toString).orElse("none");
        }

        @Bean
        String injectedContract(java.util.Optional<Greeter> actor) {
            return actor.map(Object::toString).orElse("none");
        }
    }

    @Configuration(proxyBeanMethods = false)
    static class CustomRuntime {

        @Bean
        ActorRuntime customRuntime() {
            return ActorRuntime.builder().build();
        }
    }

    @Configuration(proxyBeanMethods = false)
    @AutoConfigurationPackage(basePackageClasses = FirstEcho.class)
    static class DuplicateApplication {
    }

    @Configuration(proxyBeanMethods = false)
    @AutoConfigurationPackage(basePackageClasses = LoaderActor.class)
    static class UnsupportedApplication {
    }

    @Configuration(proxyBeanMethods = false)
    @AutoConfigurationPackage(basePackageClasses = SingletonTicker.class)
    @ComponentScan(basePackageClasses = SingletonTicker.class)
    static class SingletonApplication {
    }
}
