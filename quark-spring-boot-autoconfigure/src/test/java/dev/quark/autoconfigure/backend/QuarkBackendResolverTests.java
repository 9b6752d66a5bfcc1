package dev.quark.autoconfigure.backend;

import org.junit.jupiter.api.Test;

import org.springframework.boot.context.properties.source.InvalidConfigurationPropertyValueException;
import org.springframework.mock.env.MockEnvironment;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

class QuarkBackendResolverTests {

    private final MockEnvironment environment = new MockEnvironment();

    private QuarkBackendResolver resolver() {
        return new QuarkBackendResolver(this.environment);
    }

    @Test
    void withNothingSetEveryAreaUsesMemoryChosenByQuarkBackend() {
        assertThat(resolver().resolve("jobs"))
            .isEqualTo(new BackendSelection("jobs", null, QuarkBackend.MEMORY, "quark.backend"));
    }

    @Test
    void anAreaFallsBackToQuarkBackend() {
        this.environment.setProperty("quark.backend", "redis");
        assertThat(resolver().resolve("reminders"))
            .isEqualTo(new BackendSelection("reminders", null, QuarkBackend.REDIS, "quark.backend"));
    }

    @Test
    void anAreasOwnPropertyOverridesQuarkBackend() {
        this.environment.withProperty("quark.backend", "redis").setProperty("quark.cluster.membership.backend", "postgres");
        assertThat(resolver().resolve("cluster.membership")).isEqualTo(new BackendSelection("cluster.membership", null,
                QuarkBackend.POSTGRES, "quark.cluster.membership.backend"));
        assertThat(resolver().resolve("jobs").backend()).isEqualTo(QuarkBackend.REDIS);
    }

    @Test
    void theStateAreaKeepsItsPropertiesUnderQuarkPersistence() {
        this.environment.withProperty("quark.backend", "redis").setProperty("quark.persistence.backend", "postgres");
        assertThat(QuarkBackendResolver.backendProperty("state")).isEqualTo("quark.persistence.backend");
        assertThat(QuarkBackendResolver.backendProperty("durabletasks")).isEqualTo("quark.durabletasks.backend");
        assertThat(resolver().resolve("state"))
            .isEqualTo(new BackendSelection("state", null, QuarkBackend.POSTGRES, "quark.persistence.backend"));
    }

    @Test
    void namedStoresOfTheStateAreaFollowTheAreaUnlessTheySayOtherwise() {
        this.environment.withProperty("quark.persistence.backend", "redis")
            .withProperty("quark.persistence.stores.audit.backend", "postgres")
            .withProperty("quark.persistence.stores.cache.backend", "redis")
            .setProperty("quark.persistence.stores.archive.backend", "");
        assertThat(resolver().resolve("state", "audit")).isEqualTo(
                new BackendSelection("state", "audit", QuarkBackend.POSTGRES, "quark.persistence.stores.audit.backend"));
        assertThat(resolver().resolve("state", "other"))
            .isEqualTo(new BackendSelection("state", "other", QuarkBackend.REDIS, "quark.persistence.backend"));
        assertThat(resolver().resolveAll("state")).extracting(BackendSelection::store, BackendSelection::backend)
            .containsExactlyInAnyOrder(org.assertj.core.groups.Tuple.tuple(null, QuarkBackend.REDIS),
                    org.assertj.core.groups.Tuple.tuple("audit", QuarkBackend.POSTGRES),
                    org.assertj.core.groups.Tuple.tuple("cache", QuarkBackend.REDIS),
                    org.assertj.core.groups.Tuple.tuple("archive", QuarkBackend.REDIS));
    }

    @Test
    void otherAreasHaveNoNamedStores() {
        this.environment.setProperty("quark.jobs.stores.x.backend", "postgres");
        assertThat(resolver().resolveAll("jobs")).extracting(BackendSelection::backend).containsExactly(QuarkBackend.MEMORY);
    }

    @Test
    void valuesIgnoreCaseAndSurroundingBlanks() {
        this.environment.setProperty("quark.jobs.backend", " Redis ");
        assertThat(resolver().resolve("jobs").backend()).isEqualTo(QuarkBackend.REDIS);
    }

    @Test
    void aValueNamingNoBackendFailsNamingThePropertyAndTheValue() {
        this.environment.setProperty("quark.jobs.backend", "mysql");
        assertThatExceptionOfType(InvalidConfigurationPropertyValueException.class)
            .isThrownBy(() -> resolver().resolve("jobs"))
            .withMessage("Property quark.jobs.backend with value 'mysql' is invalid: must be one of memory, redis, postgres");
        this.environment.setProperty("quark.jobs.backend", "memory");
        this.environment.setProperty("quark.backend", "mongo");
        assertThat(resolver().resolve("jobs").backend()).as("an overridden quark.backend is not read")
            .isEqualTo(QuarkBackend.MEMORY);
        assertThatExceptionOfType(InvalidConfigurationPropertyValueException.class)
            .isThrownBy(() -> resolver().resolve("reminders"))
            .withMessageContaining("quark.backend with value 'mongo'");
    }

    @Test
    void selectionsDescribeThemselvesForMessages() {
        BackendSelection store = new BackendSelection("state", "audit", QuarkBackend.REDIS, "quark.backend");
        assertThat(store.user()).isEqualTo("Quark's 'state' area (store 'audit')");
        assertThat(store.setting()).isEqualTo("quark.backend=redis");
        assertThat(new BackendSelection("jobs", null, QuarkBackend.MEMORY, "quark.jobs.backend").user())
            .isEqualTo("Quark's 'jobs' area");
    }
}
