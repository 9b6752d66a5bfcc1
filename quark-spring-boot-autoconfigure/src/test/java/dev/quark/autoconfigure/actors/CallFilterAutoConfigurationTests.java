package dev.quark.autoconfigure.actors;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;

import dev.quark.actor.ActorRefFactory;
import dev.quark.autoconfigure.fixtures.greeting.Greeter;
import dev.quark.runtime.filter.IncomingCallFilter;
import dev.quark.runtime.filter.OutgoingCallFilter;
import dev.quark.runtime.routing.ActorLocation;
import dev.quark.runtime.routing.ActorLocator;
import dev.quark.runtime.routing.RemoteCallSender;
import org.junit.jupiter.api.Test;

import org.springframework.beans.factory.NoUniqueBeanDefinitionException;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.annotation.Order;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

class CallFilterAutoConfigurationTests {

    private final ApplicationContextRunner contextRunner = new ApplicationContextRunner()
        .withConfiguration(AutoConfigurations.of(QuarkActorsAutoConfiguration.class))
        .withUserConfiguration(QuarkActorsAutoConfigurationTests.GreetingApplication.class);

    @Test
    void filterBeansWrapEveryCallInTheirOrder() {
        this.contextRunner.withUserConfiguration(Filters.class).run((context) -> {
            Greeter greeter = context.getBean(ActorRefFactory.class).get(Greeter.class, "g-1");
            assertThat(greeter.greet("Ada")).isEqualTo("Hello, Ada from g-1");
            assertThat(context.getBean(Filters.class).events).containsExactly("out-first", "out-second",
                    "in-first", "in-second");
        });
    }

    @Test
    void incomingFilterBeanCanRefuseACall() {
        this.contextRunner.withUserConfiguration(Refusing.class).run((context) -> {
            Greeter greeter = context.getBean(ActorRefFactory.class).get(Greeter.class, "g-1");
            assertThatExceptionOfType(SecurityException.class).isThrownBy(() -> greeter.greet("Mallory"))
                .withMessage("Mallory may not call Greeter/g-1");
            assertThat(greeter.greet("Ada")).isEqualTo("Hello, Ada from g-1");
        });
    }

    @Test
    void routingBeansReachTheRuntime() {
        this.contextRunner.withUserConfiguration(RemoteRouting.class).run((context) -> {
            Greeter greeter = context.getBean(ActorRefFactory.class).get(Greeter.class, "g-1");
            assertThat(greeter.greet("Ada")).isEqualTo("from silo-2: Greeter/g-1.greet");
        });
    }

    @Test
    void twoLocatorBeansFailTheStartInsteadOfFallingBackToOneSilo() {
        this.contextRunner.withUserConfiguration(RemoteRouting.class, SecondLocator.class)
            .run((context) -> assertThat(context).hasFailed()
                .getFailure()
                .rootCause()
                .isInstanceOf(NoUniqueBeanDefinitionException.class)
                .hasMessageContaining(ActorLocator.class.getName()));
    }

    @Configuration(proxyBeanMethods = false)
    static class RemoteRouting {

        @Bean
        ActorLocator everythingElsewhere() {
            return (address) -> ActorLocation.remote("silo-2");
        }

        @Bean
        RemoteCallSender answeringSender() {
            return (siloId, call) -> CompletableFuture
                .completedFuture("from " + siloId + ": " + call.address() + "." + call.method().name());
        }
    }

    @Configuration(proxyBeanMethods = false)
    static class SecondLocator {

        @Bean
        ActorLocator everythingHere() {
            return ActorLocator.SINGLE_SILO;
        }
    }

    @Configuration(proxyBeanMethods = false)
    static class Filters {

        final List<String> events = new CopyOnWriteArrayList<>();

        @Bean
        @Order(2)
        OutgoingCallFilter secondOutgoing() {
            return (call) -> {
                this.events.add("out-second");
                return call.proceed();
            };
        }

        @Bean
        @Order(1)
        OutgoingCallFilter firstOutgoing() {
            return (call) -> {
                this.events.add("out-first");
                return call.proceed();
            };
        }

        @Bean
        @Order(2)
        IncomingCallFilter secondIncoming() {
            return (call) -> {
                this.events.add("in-second");
                return call.proceed();
            };
        }

        @Bean
        @Order(1)
        IncomingCallFilter firstIncoming() {
            return (call) -> {
                this.events.add("in-first");
                return call.proceed();
            };
        }
    }

    @Configuration(proxyBeanMethods = false)
    static class Refusing {

        @Bean
        IncomingCallFilter refuseMallory() {
            return (call) -> {
                if (call.arguments().contains("Mallory")) {
                    throw new SecurityException("Mallory may not call " + call.address());
                }
                return call.proceed();
            };
        }
    }
}
