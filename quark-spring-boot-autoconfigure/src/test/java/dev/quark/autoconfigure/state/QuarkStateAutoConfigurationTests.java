package dev.quark.autoconfigure.state;

import java.time.Duration;

import javax.sql.DataSource;

import dev.quark.actor.ActorRefFactory;
import dev.quark.autoconfigure.actors.QuarkActorsAutoConfiguration;
import dev.quark.autoconfigure.backend.MissingBackendDependencyException;
import dev.quark.autoconfigure.backend.QuarkBackend;
import dev.quark.autoconfigure.backend.QuarkBackendAutoConfiguration;
import dev.quark.autoconfigure.fixtures.unknownstore.LedgerActor;
import dev.quark.autoconfigure.fixtures.wallet.Wallet;
import dev.quark.autoconfigure.fixtures.wallet.WalletActor;
import dev.quark.runtime.ActivationHook;
import dev.quark.runtime.ActorInstance;
import dev.quark.runtime.ActorRuntime;
import dev.quark.state.JsonStateSerializer;
import dev.quark.state.StateActivationHook;
import dev.quark.state.StateKey;
import dev.quark.state.StateSerializer;
import dev.quark.state.StateStore;
import dev.quark.state.StateStoreRegistry;
import dev.quark.state.StoredState;
import dev.quark.state.memory.InMemoryStateStore;
import org.junit.jupiter.api.Test;

import org.springframework.boot.autoconfigure.AutoConfigurationPackage;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.context.properties.source.InvalidConfigurationPropertyValueException;
import org.springframework.boot.jackson.autoconfigure.JacksonAutoConfiguration;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Configuration;
import org.springframework.data.redis.connection.RedisConnectionFactory;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.jdbc.datasource.SimpleDriverDataSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

class QuarkStateAutoConfigurationTests {

    private final ApplicationContextRunner contextRunner = new ApplicationContextRunner()
        .withConfiguration(AutoConfigurations.of(JacksonAutoConfiguration.class, QuarkActorsAutoConfiguration.class,
                QuarkBackendAutoConfiguration.class, QuarkStateAutoConfiguration.class))
        .withUserConfiguration(WalletApplication.class)
        .withPropertyValues("quark.persistence.stores.audit.backend=memory");

    @Test
    void byDefaultStatesLiveInMemoryAndOutliveTheirActivation() {
        this.contextRunner.run((context) -> {
            assertThat(context).hasSingleBean(StateStoreRegistry.class).hasSingleBean(StateActivationHook.class);
            StateStoreRegistry stores = context.getBean(StateStoreRegistry.class);
            assertThat(stores.names()).containsExactly("default", "audit");
            assertThat(stores.store("default")).isInstanceOf(InMemoryStateStore.class)
                .isSameAs(stores.store("audit"))
                .isSameAs(context.getBean("quarkInMemoryStateStore"));
            Wallet wallet = context.getBean(ActorRefFactory.class).get(Wallet.class, "w-1");
            assertThat(wallet.deposit(30)).isEqualTo(30);
            ActorRuntime runtime = context.getBean(ActorRuntime.class);
            runtime.deactivate(Wallet.class, "w-1");
            await().atMost(Duration.ofSeconds(5)).until(() -> !runtime.isActive(Wallet.class, "w-1"));
            assertThat(wallet.balanceOnActivate()).isEqualTo(30);
            assertThat(wallet.deposit(12)).isEqualTo(42);
            assertThat(wallet.auditTrail()).isEqualTo("deposit 30,deposit 12");
        });
    }

    @Test
    void statesAreWrittenWithTheApplicationsJsonMapper() {
        this.contextRunner.withPropertyValues("spring.jackson.property-naming-strategy=SNAKE_CASE").run((context) -> {
            assertThat(context.getBean(StateSerializer.class)).isInstanceOf(JsonStateSerializer.class);
            context.getBean(ActorRefFactory.class).get(Wallet.class, "w-2").deposit(5);
            assertThat(context.getBean(StateStoreRegistry.class).store("").load(new StateKey("wallet", "w-2", "wallet")))
                .contains(new StoredState("{\"balance\":5,\"last_change\":\"deposit 5\"}", 1));
        });
    }

    @Test
    void withoutAJsonMapperBeanJacksonsDefaultsAreUsed() {
        new ApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(QuarkActorsAutoConfiguration.class, QuarkBackendAutoConfiguration.class,
                    QuarkStateAutoConfiguration.class))
            .withUserConfiguration(WalletApplication.class)
            .withPropertyValues("quark.persistence.stores.audit.backend=memory")
            .run((context) -> assertThat(context.getBean(ActorRefFactory.class).get(Wallet.class, "w").deposit(1))
                .isEqualTo(1));
    }

    @Test
    void persistenceBackendOverridesQuarkBackend() {
        this.contextRunner.withPropertyValues("quark.backend=redis", "quark.persistence.backend=memory")
            .withClassLoader(new FilteredClassLoader(RedisConnectionFactory.class))
            .run((context) -> {
                assertThat(context).hasNotFailed();
                assertThat(context.getBean(StateStoreRegistry.class).store("audit")).isInstanceOf(InMemoryStateStore.class);
                assertThat(context).doesNotHaveBean("quarkRedisStateStore");
            });
    }

    @Test
    void stateHookRunsBeforeOtherActivationHooks() {
        this.contextRunner.withBean("userHook", ActivationHook.class, () -> (ActorInstance actor) -> {
        }).run((context) -> assertThat(context.getBeanProvider(ActivationHook.class).orderedStream())
            .first()
            .isInstanceOf(StateActivationHook.class));
    }

    @Test
    void unknownStoreFailsStartupNamingFieldAndStore() {
        new ApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(QuarkActorsAutoConfiguration.class, QuarkBackendAutoConfiguration.class,
                    QuarkStateAutoConfiguration.class))
            .withUserConfiguration(LedgerApplication.class)
            .run((context) -> {
                assertThat(context).hasFailed();
                assertThat(context.getStartupFailure()).isInstanceOf(IllegalStateException.class)
                    .hasMessage("@ActorState field " + LedgerActor.class.getName() + ".entries refers to the state store "
                            + "'archive', which is not configured; the stores are [default] (add one with "
                            + "quark.persistence.stores.archive.backend)");
            });
    }

    @Test
    void aBeanNamedQuarkActorStateVerifierReplacesTheStartupCheck() {
        new ApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(QuarkActorsAutoConfiguration.class, QuarkBackendAutoConfiguration.class,
                    QuarkStateAutoConfiguration.class))
            .withUserConfiguration(LedgerApplication.class)
            .withBean("quarkActorStateVerifier", Object.class, Object::new)
            .run((context) -> assertThat(context).hasNotFailed());
    }

    @Test
    void redisWithoutSpringDataRedisFailsStartupNamingTheStarter() {
        this.contextRunner.withPropertyValues("quark.backend=redis")
            .withClassLoader(new FilteredClassLoader(RedisConnectionFactory.class))
            .run((context) -> {
                assertThat(context).hasFailed();
                assertThat(context.getStartupFailure()).rootCause()
                    .isInstanceOf(MissingBackendDependencyException.class)
                    .hasMessage("Quark's 'state' area uses quark.backend=redis, which needs Spring Data Redis on the "
                            + "class path: add the dependency org.springframework.boot:spring-boot-starter-data-redis");
            });
    }

    @Test
    void postgresWithoutSpringJdbcFailsStartupNamingTheStarter() {
        this.contextRunner.withPropertyValues("quark.persistence.stores.audit.backend=postgres")
            .withClassLoader(new FilteredClassLoader(JdbcClient.class))
            .run((context) -> {
                assertThat(context).hasFailed();
                assertThat(context.getStartupFailure()).rootCause()
                    .isInstanceOf(MissingBackendDependencyException.class)
                    .hasMessage("Quark's 'state' area (store 'audit') uses quark.persistence.stores.audit.backend=postgres, "
                            + "which needs "
                            + "Spring JDBC on the class path: add the dependency org.springframework.boot:spring-boot-starter-jdbc");
            });
    }

    @Test
    void postgresWithoutTheDriverFailsStartupNamingTheDriver() {
        this.contextRunner.withPropertyValues("quark.persistence.backend=postgres")
            .withClassLoader(new FilteredClassLoader("org.postgresql"))
            .run((context) -> {
                assertThat(context).hasFailed();
                assertThat(context.getStartupFailure()).rootCause()
                    .isInstanceOf(MissingBackendDependencyException.class)
                    .hasMessageContaining("quark.persistence.backend=postgres")
                    .hasMessageContaining("add the dependency org.postgresql:postgresql");
            });
    }

    @Test
    void postgresWithoutLiquibaseFailsStartupUnlessTheSchemaIsInitializedElsewhere() {
        this.contextRunner.withPropertyValues("quark.backend=postgres", "quark.persistence.stores.audit.backend=memory")
            .withBean(DataSource.class, SimpleDriverDataSource::new)
            .withClassLoader(new FilteredClassLoader("liquibase"))
            .run((context) -> {
                assertThat(context).hasFailed();
                assertThat(context.getStartupFailure()).rootCause()
                    .isInstanceOf(MissingBackendDependencyException.class)
                    .hasMessageContaining("add the dependency org.liquibase:liquibase-core (or set "
                            + "quark.postgres.initialize-schema=false and apply Quark's changelogs yourself)");
            });
    }

    @Test
    void invalidBackendFailsStartupNamingTheProperty() {
        this.contextRunner.withPropertyValues("quark.backend=mysql").run((context) -> {
            assertThat(context).hasFailed();
            assertThat(context.getStartupFailure()).rootCause()
                .isInstanceOf(InvalidConfigurationPropertyValueException.class)
                .hasMessage("Property quark.backend with value 'mysql' is invalid: must be one of memory, redis, postgres");
        });
    }

    @Test
    void invalidNamesAndPrefixesFailStartupNamingTheProperty() {
        assertInvalid("quark.postgres.table-prefix=quark-state", "Property quark.postgres.table-prefix with value "
                + "'quark-state' is invalid: must start with a letter or '_' and contain only letters, digits and '_'");
        assertInvalid("quark.postgres.table-prefix=" + "p".repeat(41),
                "Property quark.postgres.table-prefix with value '" + "p".repeat(41)
                        + "' is invalid: must be at most 40 characters long");
        assertInvalid("quark.redis.key-prefix=my app:", "Property quark.redis.key-prefix with value 'my app:' is invalid: "
                + "must not contain whitespace or control characters");
        assertInvalid("quark.persistence.stores.default.backend=redis", "Property quark.persistence.stores.default with "
                + "value 'default' is invalid: 'default' is the default store; configure it with quark.persistence.backend");
        assertInvalid("quark.persistence.stores[audit log].backend=memory", "Property quark.persistence.stores.audit log "
                + "with value 'audit log' is invalid: store names use letters, digits, '_' and '-'");
    }

    private void assertInvalid(String property, String message) {
        this.contextRunner.withPropertyValues(property).run((context) -> {
            assertThat(context).hasFailed();
            assertThat(context.getStartupFailure()).rootCause()
                .isInstanceOf(InvalidConfigurationPropertyValueException.class)
                .hasMessage(message);
        });
    }

    @Test
    void propertiesHaveTheDocumentedDefaults() {
        this.contextRunner.run((context) -> {
            assertThat(context.getBean(dev.quark.autoconfigure.QuarkProperties.class).getBackend())
                .isEqualTo(QuarkBackend.MEMORY);
            assertThat(context.getBean(QuarkPersistenceProperties.class).getBackend()).isNull();
            assertThat(context.getBean(dev.quark.autoconfigure.redis.QuarkRedisProperties.class).getKeyPrefix())
                .isEqualTo("quark:");
            dev.quark.autoconfigure.postgres.QuarkPostgresProperties postgres = context
                .getBean(dev.quark.autoconfigure.postgres.QuarkPostgresProperties.class);
            assertThat(postgres.getTablePrefix()).isEqualTo("quark_");
            assertThat(postgres.isInitializeSchema()).isTrue();
        });
    }

    @Test
    void userDefinedBeansMakeTheAutoConfigurationBackOff() {
        InMemoryStateStore own = new InMemoryStateStore();
        this.contextRunner.withBean("quarkInMemoryStateStore", StateStore.class, () -> own).run((context) -> {
            assertThat(context.getBean(StateStoreRegistry.class).store("")).isSameAs(own);
        });
        StateStoreRegistry registry = StateStoreRegistry.of(own).with("audit", own);
        this.contextRunner.withBean(StateStoreRegistry.class, () -> registry)
            .run((context) -> assertThat(context.getBean(StateStoreRegistry.class)).isSameAs(registry));
    }

    @Test
    void disabledQuarkCreatesNoStateBeans() {
        this.contextRunner.withPropertyValues("quark.enabled=false")
            .run((context) -> assertThat(context).doesNotHaveBean(StateStoreRegistry.class)
                .doesNotHaveBean(StateActivationHook.class));
    }

    @Configuration(proxyBeanMethods = false)
    @AutoConfigurationPackage(basePackageClasses = WalletActor.class)
    static class WalletApplication {

    }

    @Configuration(proxyBeanMethods = false)
    @AutoConfigurationPackage(basePackageClasses = LedgerActor.class)
    static class LedgerApplication {

    }
}
