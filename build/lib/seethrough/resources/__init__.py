"""Files shipped with the application: taxonomy, Live2D keyword table, training configs, the sample."""
