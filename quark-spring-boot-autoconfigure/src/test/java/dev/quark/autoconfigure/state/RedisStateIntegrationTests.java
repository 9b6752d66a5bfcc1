package dev.quark.autoconfigure.state;

import java.time.Duration;
import java.util.Map;

import dev.quark.actor.ActorRefFactory;
import dev.quark.autoconfigure.actors.QuarkActorsAutoConfiguration;
import dev.quark.autoconfigure.backend.QuarkBackendAutoConfiguration;
import dev.quark.autoconfigure.fixtures.wallet.Wallet;
import dev.quark.autoconfigure.fixtures.wallet.WalletActor;
import dev.quark.autoconfigure.health.QuarkStateHealthContributorAutoConfiguration;
import dev.quark.state.StateStoreRegistry;
import dev.quark.state.redis.RedisStateStore;
import dev.quark.testkit.server.RedisTestServer;
import dev.quark.testkit.server.TcpProxy;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.Delay;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import org.springframework.boot.autoconfigure.AutoConfigurationPackage;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.data.redis.autoconfigure.DataRedisAutoConfiguration;
import org.springframework.boot.data.redis.autoconfigure.health.DataRedisHealthContributorAutoConfiguration;
import org.springframework.boot.jackson.autoconfigure.JacksonAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.data.redis.core.StringRedisTemplate;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The Redis state store as an application gets it: Spring Boot's Redis connection, Quark's store and health,
 * against a real Redis reached through a proxy that the outage test cuts.
 */
class RedisStateIntegrationTests {

    private static RedisTestServer server;

    private static String prefix;

    private static TcpProxy proxy;

    @BeforeAll
    static void start() {
        server = RedisTestServer.get();
        prefix = server.uniqueKeyPrefix(RedisStateIntegrationTests.class);
        proxy = TcpProxy.start(server.host(), server.port());
    }

    @AfterAll
    static void stop() {
        if (proxy != null) {
            proxy.close();
        }
        if (server != null) {
            server.deleteKeys(prefix);
        }
    }

    private ApplicationContextRunner contextRunner() {
        return new ApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(DataRedisAutoConfiguration.class,
                    DataRedisHealthContributorAutoConfiguration.class, JacksonAutoConfiguration.class,
                    QuarkActorsAutoConfiguration.class, QuarkBackendAutoConfiguration.class,
                    QuarkStateAutoConfiguration.class, QuarkStateHealthContributorAutoConfiguration.class))
            .withUserConfiguration(WalletApplication.class)
            .withPropertyValues("quark.backend=redis", "quark.redis.key-prefix=" + prefix,
                    "quark.persistence.stores.audit.backend=memory", "spring.data.redis.host=" + proxy.host(),
                    "spring.data.redis.port=" + proxy.port(), "spring.data.redis.timeout=1s",
                    "spring.data.redis.connect-timeout=1s",
                    "spring.data.redis.password=" + ((server.password() != null) ? server.password() : ""));
    }

    @Test
    void balancesSurviveARestartOfTheApplicationUnderTheDocumentedKey() {
        contextRunner().run((context) -> {
            StateStoreRegistry stores = context.getBean(StateStoreRegistry.class);
            assertThat(stores.store("default")).isInstanceOf(RedisStateStore.class);
            assertThat(stores.store("audit")).isNotInstanceOf(RedisStateStore.class);
            assertThat(context.getBean(ActorRefFactory.class).get(Wallet.class, "restart").deposit(30)).isEqualTo(30);
        });
        contextRunner().run((context) -> {
            Wallet wallet = context.getBean(ActorRefFactory.class).get(Wallet.class, "restart");
            assertThat(wallet.balanceOnActivate()).isEqualTo(30);
            assertThat(wallet.deposit(12)).isEqualTo(42);
            Map<Object, Object> hash = context.getBean(StringRedisTemplate.class)
                .opsForHash()
                .entries(prefix + "state:wallet:restart:wallet");
            assertThat(hash).containsOnly(Map.entry("version", "2"),
                    Map.entry("payload", "{\"balance\":42,\"lastChange\":\"deposit 12\"}"));
        });
    }

    @Test
    void whileRedisIsDownCallsFailClearlyAndHealthIsDownThenBothRecover() {
        contextRunner().withUserConfiguration(FastReconnect.class)
            .run((context) -> StoreOutage.failsClearlyThenRecovers(context, proxy, "redisHealthContributor"));
    }

    @Configuration(proxyBeanMethods = false)
    @AutoConfigurationPackage(basePackageClasses = WalletActor.class)
    static class WalletApplication {

    }

    @Configuration(proxyBeanMethods = false)
    static class FastReconnect {

        @Bean(destroyMethod = "shutdown")
        ClientResources lettuceClientResources() {
            return ClientResources.builder().reconnectDelay(Delay.constant(Duration.ofMillis(100))).build();
        }
    }
}
