package dev.quark.samples.jobs;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.context.properties.EnableConfigurationProperties;

/**
 * A report service on durable jobs behind a REST API. Run it with {@code ./mvnw -pl sample-apps/jobs -am
 * spring-boot:run}; the README shows the calls.
 */
@SpringBootApplication
@EnableConfigurationProperties(ReportProperties.class)
public class JobsSampleApplication {

    /**
     * Starts the application.
     * @param args the command line
     */
    public static void main(String[] args) {
        SpringApplication.run(JobsSampleApplication.class, args);
    }
}
